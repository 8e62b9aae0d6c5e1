import { timingSafeEqual } from 'node:crypto';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { NovaCostError } from '@nova-cost/domain';
import type { SignedEnvelope } from '@nova-cost/event-stream';

export interface EventSignatureChainInit {
  /** The request's own signature, which the first event's signature is chained from. */
  readonly seedSignature: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Of the request's credential scope. */
  readonly region: string;
  readonly service: string;
  readonly maxSkewMs: number;
  readonly now: () => number;
}

function denied(message: string): NovaCostError {
  return new NovaCostError('access-denied', message, { details: { reason: 'forbidden' } });
}

/**
 * Checks the signatures of a SigV4-signed event stream, event by event (what the AWS SDK's event signer sends for
 * InvokeModelWithBidirectionalStream): each envelope's `:chunk-signature` is the SigV4 event signature of its `:date`
 * header and payload, chained from the previous one (from the request's own signature for the first), so events
 * cannot be altered, dropped, reordered or replayed from another stream. Recomputed with @smithy/signature-v4.
 */
export class EventSignatureChain {
  private prior: string;
  private readonly signer: SignatureV4;
  private events = 0;

  constructor(private readonly init: EventSignatureChainInit) {
    this.prior = init.seedSignature;
    this.signer = new SignatureV4({
      credentials: init.credentials,
      region: init.region,
      service: init.service,
      sha256: Hash.bind(null, 'sha256'),
    });
  }

  /** Resolves when `envelope` (whose payload is `payload`) is the next event of the chain; 'access-denied' otherwise. */
  async verify(envelope: SignedEnvelope, payload: Uint8Array): Promise<void> {
    this.events += 1;
    const n = this.events;
    const { date, signature } = envelope;
    if (!date || !signature) throw denied(`event ${n} of the stream is not signed (:date and :chunk-signature)`);
    if (Math.abs(this.init.now() - date.getTime()) > this.init.maxSkewMs)
      throw denied(`event ${n} was signed at ${date.toISOString()}, more than ${this.init.maxSkewMs / 1000} s away`);
    const expected = await this.signer.signMessage(
      {
        message: { headers: { ':date': { type: 'timestamp', value: date } }, body: payload },
        priorSignature: this.prior,
      },
      { signingDate: date, signingRegion: this.init.region, signingService: this.init.service },
    );
    const given = Buffer.from(signature.buffer, signature.byteOffset, signature.byteLength);
    const wanted = Buffer.from(expected.signature, 'hex');
    if (given.length !== wanted.length || !timingSafeEqual(given, wanted))
      throw denied(
        `the signature of event ${n} does not match: each event must be signed with the request's credentials, chained from the signature before it`,
      );
    this.prior = expected.signature;
  }
}
