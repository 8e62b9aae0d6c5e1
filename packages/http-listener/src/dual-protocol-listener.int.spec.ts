import { once } from 'node:events';
import { connect as h2connect } from 'node:http2';
import type { Socket } from 'node:net';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { DualProtocolListenerOptions } from './dual-protocol-listener';
import { DualProtocolListener, exemptFromRequestTimeout } from './dual-protocol-listener';
import { stopReadingAfterAnswer } from './stop-reading';

// Short limits, so each spec waits for the listener to act, not for a clock: every assertion is "this connection
// gets closed", which without the limit never happens (the spec then fails on its timeout).
const SHORT: DualProtocolListenerOptions = {
  headersTimeoutMs: 200,
  requestTimeoutMs: 400,
  keepAliveTimeoutMs: 300,
  checkIntervalMs: 50,
};

let listener: DualProtocolListener | undefined;

async function start(options: DualProtocolListenerOptions = SHORT): Promise<number> {
  listener = new DualProtocolListener((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => res.end(`got ${Buffer.concat(chunks).length} bytes`));
  }, options);
  return listener.listen(0, '127.0.0.1');
}

/** A raw TCP client: everything it receives, and a promise of its close. */
async function raw(port: number): Promise<{ socket: Socket; received: () => string; closed: Promise<unknown> }> {
  const socket = connect(port, '127.0.0.1');
  let text = '';
  socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
  socket.on('error', () => undefined);
  const closed = once(socket, 'close');
  await once(socket, 'connect');
  return { socket, received: () => text, closed };
}

/** Keeps sending `text` every 20 ms, as a slow client does, until the connection is closed. */
async function dripUntilClosed(client: { socket: Socket; closed: Promise<unknown> }, text: string): Promise<void> {
  const drip = setInterval(() => client.socket.writable && client.socket.write(text), 20);
  try {
    await client.closed;
  } finally {
    clearInterval(drip);
  }
}

afterEach(async () => {
  await listener?.closeAll(0);
  listener = undefined;
});

describe('DualProtocolListener', () => {
  describe('over HTTP/1.1', () => {
    it('answers a request and keeps the connection alive for the next', async () => {
      const port = await start();
      const client = await raw(port);
      client.socket.write('POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 3\r\n\r\nabc');
      client.socket.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n');
      await client.closed; // the keep-alive timeout closes it afterwards
      expect(client.received().match(/HTTP\/1\.1 200 OK/g)).toHaveLength(2);
      expect(client.received()).toContain('got 3 bytes');
    });

    it('closes a connection that never sends a byte', async () => {
      const port = await start();
      const client = await raw(port);
      await client.closed;
      expect(client.received()).toBe('');
    });

    it('answers 408 and closes a connection whose headers never end (slowloris)', async () => {
      const port = await start();
      const client = await raw(port);
      client.socket.write('GET / HTTP/1.1\r\nhost: x\r\n');
      await dripUntilClosed(client, 'x-slow: 1\r\n');
      expect(client.received()).toMatch(/^HTTP\/1\.1 408/);
    });

    it('answers 408 and closes a connection whose body trickles past the request timeout', async () => {
      const port = await start();
      const client = await raw(port);
      client.socket.write('POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 100000\r\n\r\n');
      await dripUntilClosed(client, 'a');
      expect(client.received()).toMatch(/^HTTP\/1\.1 408/);
    });

    it('closes idle kept-alive connections when it stops accepting', async () => {
      const port = await start({ ...SHORT, keepAliveTimeoutMs: 600_000 });
      const client = await raw(port);
      client.socket.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n');
      await new Promise<void>((resolve) =>
        client.socket.on('data', () => client.received().includes('got 0 bytes') && resolve()),
      );
      listener!.stopAccepting();
      await client.closed;
    });
  });

  describe('over cleartext HTTP/2', () => {
    it('answers a request, then closes the session once it has had no stream for the keep-alive timeout', async () => {
      const port = await start();
      const session = h2connect(`http://127.0.0.1:${port}`);
      session.on('error', () => undefined);
      const closed = once(session, 'close');
      const stream = session.request({ ':method': 'POST', ':path': '/' });
      stream.end('abcd');
      let text = '';
      stream.on('data', (d: Buffer) => (text += d.toString()));
      await once(stream, 'end');
      expect(text).toBe('got 4 bytes');
      await closed;
    });

    it('cancels a stream whose body does not arrive within the request timeout', async () => {
      const port = await start({ ...SHORT, keepAliveTimeoutMs: 600_000 });
      const session = h2connect(`http://127.0.0.1:${port}`);
      session.on('error', () => undefined);
      const stream = session.request({ ':method': 'POST', ':path': '/' });
      stream.on('error', () => undefined);
      stream.write('partial');
      const [status] = (await once(stream, 'response')) as [Record<string, unknown>];
      await once(stream, 'close');
      expect(status[':status']).toBe(408);
      session.destroy();
    });

    it('leaves open a stream exempted from the request timeout, while one opened after it is cancelled', async () => {
      listener = new DualProtocolListener(
        (req, res) => {
          if (req.url !== '/session') return void req.resume();
          // A session: answered while its body arrives, for as long as the client sends.
          exemptFromRequestTimeout(req);
          res.writeHead(200);
          req.on('data', (c: Buffer) => res.write(`got ${c.length} bytes;`));
          req.on('end', () => res.end());
        },
        { ...SHORT, keepAliveTimeoutMs: 600_000 },
      );
      const port = await listener.listen(0, '127.0.0.1');
      const session = h2connect(`http://127.0.0.1:${port}`);
      session.on('error', () => undefined);
      const exempt = session.request({ ':method': 'POST', ':path': '/session' });
      let text = '';
      exempt.on('data', (d: Buffer) => (text += d.toString()));
      exempt.write('abc');
      await once(exempt, 'data');
      // Opened later, so its timer would fire after the exempted stream's: by its 408, that one is past its limit.
      const limited = session.request({ ':method': 'POST', ':path': '/' });
      limited.on('error', () => undefined);
      limited.write('partial');
      const [status] = (await once(limited, 'response')) as [Record<string, unknown>];
      expect(status[':status']).toBe(408);
      exempt.end('defg');
      await once(exempt, 'end');
      expect(text).toBe('got 3 bytes;got 4 bytes;');
      session.destroy();
    });
    it('resets a stream answered before its body ended, even when a reader stopped early, once the answer left', async () => {
      listener = new DualProtocolListener(
        (req, res) =>
          void (async () => {
            // A reader that takes the first chunk and stops (which marks the request complete), then a refusal.
            for await (const _chunk of req) break;
            stopReadingAfterAnswer(req, res);
            res.writeHead(400, { 'content-type': 'application/json' });
            res.end('{"message":"refused"}');
          })(),
        { ...SHORT, keepAliveTimeoutMs: 600_000, requestTimeoutMs: 600_000 },
      );
      const port = await listener.listen(0, '127.0.0.1');
      const session = h2connect(`http://127.0.0.1:${port}`);
      session.on('error', () => undefined);
      const stream = session.request({ ':method': 'POST', ':path': '/' });
      stream.on('error', () => undefined);
      stream.write('the start of a body that never ends');
      let text = '';
      stream.on('data', (d: Buffer) => (text += d.toString()));
      await once(stream, 'close');
      expect(text).toBe('{"message":"refused"}');
      expect(stream.rstCode).toBe(0); // NO_ERROR: stop sending, the answer stands
      session.destroy();
    });
  });

  describe('misuse', () => {
    it('refuses a limit that is not a positive number', () => {
      expect(() => new DualProtocolListener(() => undefined, { headersTimeoutMs: 0 })).toThrow(
        /headersTimeoutMs must be a finite number > 0, got 0/,
      );
      expect(() => new DualProtocolListener(() => undefined, { keepAliveTimeoutMs: Number.NaN })).toThrow(
        /keepAliveTimeoutMs/,
      );
    });
  });
});
