import { NovaCostError, SpeechSessionRelay, SpeechSessions } from '@nova-cost/domain';
import { BedrockBidirectionalStreams } from '@nova-cost/infrastructure';
import { ContainerModule } from 'inversify';
import { TOKENS } from './tokens';

/**
 * Speech sessions (Nova Sonic over InvokeModelWithBidirectionalStream): a relay beside the invoker chain — nothing to
 * cache or batch — sharing the policy's budgets (a session's worst case is held there), the prices and the ledger.
 * At shutdown every session ends first (a session is open-ended: waiting would not finish it, and its client
 * reconnects to another task at once), settled in the ledger before Redis closes.
 */
export const sessionsModule = new ContainerModule(({ bind }) => {
  bind(TOKENS.bidirectionalStreams).toResolvedValue(
    (config, { url, region }) =>
      new BedrockBidirectionalStreams({
        region,
        ...(url ? { endpoint: url } : {}),
        // The in-process endpoint checks no signature; don't make a fresh clone look for AWS credentials.
        ...(config.bedrock.mode === 'embedded'
          ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
          : {}),
      }),
    [TOKENS.config, TOKENS.bedrockEndpoint],
  );
  bind(TOKENS.sessionRelay).toResolvedValue(
    (config, policy, pricing, ledger, streams, logger) => {
      const sessions = new SpeechSessions({
        rules: config.policy,
        budget: policy,
        pricing,
        ledger,
        onLedgerError: (err) =>
          logger.warn({ err: { message: (err as Error).message } }, 'spend ledger refused an entry'),
      });
      return new SpeechSessionRelay({ sessions, streams });
    },
    [TOKENS.config, TOKENS.policy, TOKENS.pricing, TOKENS.ledger, TOKENS.bidirectionalStreams, TOKENS.logger],
  );
  bind(TOKENS.lifecycle).toResolvedValue(
    (relay) => ({
      name: 'speech sessions',
      phase: 'end-sessions',
      close: () =>
        relay.endAll(
          new NovaCostError(
            'shutting-down',
            'the gateway is shutting down: the session was ended; open a new one (another task answers it)',
          ),
        ),
    }),
    [TOKENS.sessionRelay],
  );
  bind(TOKENS.lifecycle).toResolvedValue(
    (streams) => ({ name: 'bidirectional streams client', phase: 'close-clients', close: async () => streams.close() }),
    [TOKENS.bidirectionalStreams],
  );
});
