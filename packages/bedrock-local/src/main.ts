// Standalone local Bedrock runtime endpoint: `npm run bedrock-local -- --port 4010`.
import { parseArgs } from 'node:util';
import { startLocalBedrock } from './start-local-bedrock';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '4010' },
    host: { type: 'string', default: '127.0.0.1' },
    seed: { type: 'string', default: '1' },
    'latency-ms': { type: 'string', default: '0' },
    'per-token-ms': { type: 'string', default: '0' },
    'throttle-rate': { type: 'string', default: '0' },
    'server-error-rate': { type: 'string', default: '0' },
    'drop-rate': { type: 'string', default: '0' },
    'slow-rate': { type: 'string', default: '0' },
    'slow-ms': { type: 'string', default: '1000' },
    quota: { type: 'string', default: '0' },
    'quota-window-ms': { type: 'string', default: '1000' },
    's3-port': { type: 'string' },
    'batch-job-ms': { type: 'string', default: '0' },
    'batch-min-records': { type: 'string', default: '100' },
    'stream-fault': { type: 'string' },
    'stream-fault-after': { type: 'string', default: '2' },
  },
  strict: true,
});

const num = (name: keyof typeof values): number => {
  const n = Number(values[name]);
  if (values[name] === '' || !Number.isFinite(n)) {
    console.error(`--${name} must be a number, got ${JSON.stringify(values[name])}`);
    process.exit(2);
  }
  return n;
};

const bedrock = await startLocalBedrock({
  port: num('port'),
  host: values.host,
  seed: num('seed'),
  latency: { fixedMs: num('latency-ms'), perOutputTokenMs: num('per-token-ms') },
  ...(values['s3-port'] === undefined ? {} : { s3: { port: num('s3-port') } }),
  batch: { jobDurationMs: num('batch-job-ms'), minRecords: num('batch-min-records') },
  faults: {
    throttleRate: num('throttle-rate'),
    serverErrorRate: num('server-error-rate'),
    dropRate: num('drop-rate'),
    slowRate: num('slow-rate'),
    slowMs: num('slow-ms'),
    quota: num('quota') > 0 ? { requestsPerWindow: num('quota'), windowMs: num('quota-window-ms') } : null,
    // An unknown kind is refused by the library with its message.
    midStream:
      values['stream-fault'] === undefined
        ? null
        : { kind: values['stream-fault'] as 'exception' | 'cut' | 'stall', afterEvents: num('stream-fault-after') },
  },
}).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(2);
});
console.log(
  `local Bedrock runtime endpoint listening on ${bedrock.url}${bedrock.batch.s3Url ? `, local S3 on ${bedrock.batch.s3Url}` : ''}`,
);

const stop = (): void => {
  void bedrock.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
