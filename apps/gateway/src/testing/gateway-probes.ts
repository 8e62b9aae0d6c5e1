import { request } from 'node:http';

// Helpers of the gateway's specs (not part of the gateway).

/** The value of a Prometheus gauge the gateway at `url` reports now (NaN when absent). */
export async function gauge(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
}

/**
 * Sends the headers of a converse request declaring `contentLength` bytes and the first few bytes of its body, and
 * never the rest; resolves with the status and error kind of the answer it gets anyway.
 */
export function stalledUpload(url: string, contentLength: number): Promise<{ status: number; kind: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/model/amazon.nova-micro-v1:0/converse`, {
      method: 'POST',
      headers: { 'x-api-key': 'demo-key', 'content-type': 'application/json', 'content-length': String(contentLength) },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          kind: (JSON.parse(Buffer.concat(chunks).toString()) as { error: { kind: string } }).error.kind,
        }),
      );
    });
    req.write('{"messages": [');
  });
}
