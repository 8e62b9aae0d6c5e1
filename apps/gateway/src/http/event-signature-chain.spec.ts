import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { chunkFrame, codec, openEnvelope } from '@nova-cost/event-stream';
import type { SignedEnvelope } from '@nova-cost/event-stream';
import { describe, expect, it } from 'vitest';
import { EventSignatureChain } from './event-signature-chain';
import { STREAMING_EVENTS_PAYLOAD, SigV4Verifier } from './sigv4-verifier';

const AT = new Date('2026-05-01T12:00:00Z');
const PATH = '/model/amazon.nova-sonic-v1%3A0/invoke-with-bidirectional-stream';
const signer = (secretAccessKey = 'demo-secret') =>
  new SignatureV4({
    credentials: { accessKeyId: 'demo', secretAccessKey },
    region: 'us-east-1',
    service: 'bedrock',
    sha256: Hash.bind(null, 'sha256'),
  });
const verifier = new SigV4Verifier((id) => (id === 'demo' ? 'demo-secret' : undefined), { now: () => AT.getTime() });

/** The request as the AWS SDK signs InvokeModelWithBidirectionalStream: the payload hash says events are signed. */
async function signedRequest(payloadHash = STREAMING_EVENTS_PAYLOAD) {
  const req = await signer().sign(
    new HttpRequest({
      method: 'POST',
      protocol: 'http:',
      hostname: 'gw',
      path: PATH,
      headers: {
        host: 'gw',
        'content-type': 'application/vnd.amazon.eventstream',
        'x-amz-content-sha256': payloadHash,
      },
    }),
    { signingDate: AT },
  );
  const headers = req.headers as Record<string, string>;
  return { method: 'POST', url: PATH, headers, seed: /Signature=(\w+)/.exec(headers['authorization']!)![1]! };
}

/** Envelopes as the SDK's event signer makes them: each event's signature chained from the one before. */
async function envelopes(seed: string, events: string[], secret?: string) {
  let prior = seed;
  const out: { envelope: SignedEnvelope; payload: Uint8Array }[] = [];
  for (const [i, text] of events.entries()) {
    const date = new Date(AT.getTime() + i * 1000);
    // An event frame, or nothing: the envelope that ends the input.
    const payload = text === '' ? new Uint8Array(0) : chunkFrame(Buffer.from(text));
    const { signature } = await signer(secret).signMessage(
      { message: { headers: { ':date': { type: 'timestamp', value: date } }, body: payload }, priorSignature: prior },
      { signingDate: date },
    );
    prior = signature;
    const frame = codec.encode({
      headers: {
        ':date': { type: 'timestamp', value: date },
        ':chunk-signature': { type: 'binary', value: new Uint8Array(Buffer.from(signature, 'hex')) },
      },
      body: payload,
    });
    out.push({ envelope: openEnvelope(codec.decode(frame)), payload });
  }
  return out;
}

async function chain(): Promise<{ events: EventSignatureChain; seed: string }> {
  const request = await signedRequest();
  const { accessKeyId, events } = await verifier.verifyEventStream(request, request.headers['authorization']!);
  expect(accessKeyId).toBe('demo');
  return { events, seed: request.seed };
}

describe(EventSignatureChain, () => {
  it('accepts the events of a stream in the order they were signed', async () => {
    const { events, seed } = await chain();
    for (const { envelope, payload } of await envelopes(
      seed,
      ['', 'b', 'c'].map((x) => x.repeat(3)),
    ))
      await events.verify(envelope, payload);
  });

  it('refuses an altered, reordered or dropped event', async () => {
    const { seed } = await chain();
    const [a, b] = await envelopes(seed, ['aaa', 'bbb']);
    const altered = (await chain()).events;
    await expect(altered.verify(a!.envelope, chunkFrame(Buffer.from('aab')))).rejects.toThrow(
      /the signature of event 1 does not match/,
    );
    const reordered = (await chain()).events;
    await expect(reordered.verify(b!.envelope, b!.payload)).rejects.toThrow(/event 1 does not match/);
  });

  it('refuses events signed with another secret, unsigned, or dated far from now', async () => {
    const { events, seed } = await chain();
    const [forged] = await envelopes(seed, ['aaa'], 'guessed');
    await expect(events.verify(forged!.envelope, forged!.payload)).rejects.toMatchObject({ kind: 'access-denied' });
    await expect(
      events.verify({ event: undefined, date: undefined, signature: undefined }, new Uint8Array()),
    ).rejects.toThrow(/event 2 of the stream is not signed/);
    const [late] = await envelopes(seed, ['aaa']);
    const stale = { ...late!.envelope, date: new Date(AT.getTime() - 600_000) };
    await expect((await chain()).events.verify(stale, late!.payload)).rejects.toThrow(/more than 300 s away/);
  });
});

describe(SigV4Verifier, () => {
  it('takes the streaming payload hash only for an event stream, never as a way around a body', async () => {
    const request = await signedRequest();
    await expect(
      verifier.verify({ ...request, body: Buffer.from('{"anything":1}') }, request.headers['authorization']!),
    ).rejects.toThrow(/x-amz-content-sha256 does not match the request body/);
    const hashed = await signedRequest('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    await expect(verifier.verifyEventStream(hashed, hashed.headers['authorization']!)).rejects.toThrow(
      /an event stream must be signed event by event/,
    );
  });
});
