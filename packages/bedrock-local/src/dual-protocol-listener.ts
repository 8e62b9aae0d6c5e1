import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { Http2Session } from 'node:http2';
import { createServer as createH2Server } from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import { createServer as createNetServer } from 'node:net';
import { Duplex } from 'node:stream';

const H2_PREFACE = Buffer.from('PRI * HTTP/2.0');

// node:http2 reads a real socket natively, below bytes we already peeked at and unshifted; behind a plain
// Duplex it reads through JavaScript and so sees the peeked preface.
function asJsStream(socket: Socket): Duplex {
  const duplex = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      socket.write(chunk, callback);
    },
    final(callback) {
      socket.end();
      callback();
    },
    destroy(error, callback) {
      socket.destroy();
      callback(error);
    },
  });
  socket.on('data', (chunk: Buffer) => {
    if (!duplex.push(chunk)) socket.pause();
  });
  socket.on('end', () => duplex.push(null));
  socket.on('close', () => duplex.destroy());
  socket.on('error', (error) => duplex.destroy(error));
  return duplex;
}

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * One port for HTTP/1.1 and cleartext HTTP/2 (what an unchanged BedrockRuntimeClient speaks to an http:// endpoint:
 * HTTP/2 with prior knowledge by default, HTTP/1.1 with a NodeHttpHandler), picked by the connection's first bytes.
 * The local endpoint and the gateway both serve through it.
 */
export class DualProtocolListener {
  private readonly http1;
  private readonly http2;
  private readonly net;
  private readonly sockets = new Set<Socket>();
  private readonly sessions = new Set<Http2Session>();

  /**
   * @param options.keepAliveTimeoutMs how long an idle HTTP/1.1 connection stays open. Behind a load balancer it
   *   must outlast the balancer's idle timeout, or the balancer reuses a connection just closed and answers 502.
   *   @default 5000
   */
  constructor(onRequest: RequestHandler, options: { readonly keepAliveTimeoutMs?: number } = {}) {
    const keepAliveTimeout = options.keepAliveTimeoutMs ?? 5_000;
    // headersTimeout above keepAliveTimeout, so a kept-alive connection is never cut by the headers timer first.
    this.http1 = createServer({ keepAliveTimeout, headersTimeout: Math.max(60_000, keepAliveTimeout + 1_000) }, onRequest);
    this.http1.on('clientError', (_err, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n{"message":"malformed HTTP request"}');
    });
    this.http2 = createH2Server(onRequest as unknown as Parameters<typeof createH2Server>[1]);
    this.http2.on('session', (session) => {
      this.sessions.add(session);
      session.once('close', () => this.sessions.delete(session));
      session.on('error', () => session.destroy());
    });
    this.net = createNetServer((socket) => this.accept(socket));
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.net.once('error', reject);
      this.net.listen(port, host, () => {
        this.net.off('error', reject);
        resolve((this.net.address() as AddressInfo).port);
      });
    });
  }

  /**
   * Idle HTTP/1.1 connections close, HTTP/2 sessions get GOAWAY and end after their streams. The port stays
   * open, so probes and late clients get a clear 503 instead of a refused connection, until closeAll().
   */
  stopAccepting(): void {
    this.http1.closeIdleConnections();
    for (const session of this.sessions) session.close();
  }

  /** Lets connections finish writing and close for up to `graceMs`, then cuts what is left. */
  async closeAll(graceMs: number): Promise<void> {
    const closed = new Promise<void>((resolve) => this.net.close(() => resolve()));
    this.http1.closeIdleConnections();
    for (const session of this.sessions) session.close();
    const until = Date.now() + graceMs;
    while (this.sockets.size > 0 && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 20));
      this.http1.closeIdleConnections();
    }
    this.http1.closeAllConnections();
    for (const session of this.sessions) session.destroy();
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    // A client resetting before its first byte must not crash the process (no server owns the socket yet).
    socket.on('error', () => socket.destroy());
    let seen = Buffer.alloc(0);
    const peek = (chunk: Buffer): void => {
      seen = Buffer.concat([seen, chunk]);
      const head = seen.subarray(0, H2_PREFACE.length);
      if (seen.length < H2_PREFACE.length && head.equals(H2_PREFACE.subarray(0, head.length))) return;
      socket.off('data', peek);
      socket.pause();
      socket.unshift(seen);
      if (head.equals(H2_PREFACE)) this.http2.emit('connection', asJsStream(socket));
      else this.http1.emit('connection', socket);
      socket.resume();
    };
    socket.on('data', peek);
  }
}
