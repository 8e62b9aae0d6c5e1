import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { Http2Session, ServerHttp2Stream } from 'node:http2';
import { constants as h2, createServer as createH2Server } from 'node:http2';
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

/** The request timeout of each HTTP/2 request still waiting for its body. */
const requestTimers = new WeakMap<ServerHttp2Stream, NodeJS.Timeout>();

/**
 * Lifts requestTimeoutMs from an HTTP/2 request whose body is the input of a session answered while it arrives
 * (InvokeModelWithBidirectionalStream): its body lasts as long as the session, which its handler bounds. An HTTP/1.1
 * request keeps its limit (node:http enforces it per connection).
 */
export function exemptFromRequestTimeout(req: IncomingMessage): void {
  const stream = (req as unknown as { stream?: ServerHttp2Stream }).stream;
  if (!stream) return;
  clearTimeout(requestTimers.get(stream));
  requestTimers.delete(stream);
}

/** Time limits of every connection. Each one closes a connection that would otherwise stay open for ever. */
export interface DualProtocolListenerOptions {
  /**
   * How long a connection may stay open with no request in progress: an HTTP/1.1 keep-alive connection between
   * requests, an HTTP/2 session with no open stream. Behind a load balancer it must outlast the balancer's idle
   * timeout, or the balancer reuses a connection just closed and answers 502.
   * @default 5000
   */
  readonly keepAliveTimeoutMs?: number;
  /**
   * How long a client may take from opening a connection (or starting a request on a kept-alive one) to the end of
   * the request's headers; past it: 408 and the connection closes (slowloris). A connection that sends nothing at
   * all is closed after this long too.
   * @default 20000
   */
  readonly headersTimeoutMs?: number;
  /**
   * How long a client may take to send a whole request, body included; past it: 408 (HTTP/1.1) or the stream is
   * cancelled (HTTP/2). Time spent answering does not count.
   * @default 120000
   */
  readonly requestTimeoutMs?: number;
  /**
   * How often HTTP/1.1 connections are checked against the header and request timeouts (Node checks on an interval,
   * not per connection), so a limit is enforced up to this much late.
   * @default 1000
   */
  readonly checkIntervalMs?: number;
}

type Resolved = Required<DualProtocolListenerOptions>;

function positive(value: number | undefined, fallback: number, name: string): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
    throw new TypeError(`DualProtocolListener option ${name} must be a finite number > 0, got ${String(v)}`);
  return v;
}

/**
 * One port for HTTP/1.1 and cleartext HTTP/2 (what an unchanged BedrockRuntimeClient speaks to an http:// endpoint:
 * HTTP/2 with prior knowledge by default, HTTP/1.1 with a NodeHttpHandler), picked by the connection's first bytes.
 * The gateway and the local Bedrock endpoint both serve through it.
 */
export class DualProtocolListener {
  private readonly options: Resolved;
  private readonly http1;
  private readonly http2;
  private readonly net;
  private readonly sockets = new Set<Socket>();
  private readonly sessions = new Set<Http2Session>();

  constructor(onRequest: RequestHandler, options: DualProtocolListenerOptions = {}) {
    this.options = {
      keepAliveTimeoutMs: positive(options.keepAliveTimeoutMs, 5_000, 'keepAliveTimeoutMs'),
      headersTimeoutMs: positive(options.headersTimeoutMs, 20_000, 'headersTimeoutMs'),
      requestTimeoutMs: positive(options.requestTimeoutMs, 120_000, 'requestTimeoutMs'),
      checkIntervalMs: positive(options.checkIntervalMs, 1_000, 'checkIntervalMs'),
    };
    const o = this.options;
    this.http1 = createServer(
      {
        keepAliveTimeout: o.keepAliveTimeoutMs,
        headersTimeout: o.headersTimeoutMs,
        // Node requires requestTimeout >= headersTimeout.
        requestTimeout: Math.max(o.requestTimeoutMs, o.headersTimeoutMs),
        connectionsCheckingInterval: o.checkIntervalMs,
      },
      onRequest,
    );
    // node:http tracks connections, and so enforces headersTimeout/requestTimeout and can close idle connections,
    // only once it has emitted 'listening'. This server never listens (the net server below hands it sockets), so
    // it is told it does; close() stops the tracking again.
    this.http1.emit('listening');
    this.http1.on('clientError', (err: NodeJS.ErrnoException, socket) => {
      if (!socket.writable) return;
      const [status, message] =
        err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? ['408 Request Timeout', 'the request was not received within the request timeout']
          : ['400 Bad Request', 'malformed HTTP request'];
      socket.end(
        `HTTP/1.1 ${status}\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n{"message":"${message}"}`,
      );
    });
    this.http2 = createH2Server((req, res) => {
      this.limitH2Request(req.stream);
      onRequest(req as unknown as IncomingMessage, res as unknown as ServerResponse);
    });
    this.http2.on('session', (session) => this.trackSession(session));
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

  /** Open connections, both protocols (for tests and metrics). */
  get connections(): number {
    return this.sockets.size;
  }

  /** Lets connections finish writing and close for up to `graceMs`, then cuts what is left. */
  async closeAll(graceMs: number): Promise<void> {
    const closed = new Promise<void>((resolve) => this.net.close(() => resolve()));
    this.http1.closeIdleConnections();
    for (const session of this.sessions) session.close();
    const until = performance.now() + graceMs;
    while (this.sockets.size > 0 && performance.now() < until) {
      await new Promise((r) => setTimeout(r, 20));
      this.http1.closeIdleConnections();
    }
    this.http1.closeAllConnections();
    // Stops node:http's connection checks (it never listened, so the callback only reports that).
    this.http1.close(() => undefined);
    for (const session of this.sessions) session.destroy();
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    // Streamed answers are many small writes: without this, Nagle's algorithm holds each one back for the client's
    // delayed ACK (~40 ms a burst). node:http sets it on the sockets it accepts itself; these come from a net server.
    socket.setNoDelay(true);
    socket.once('close', () => this.sockets.delete(socket));
    // A client resetting before its first byte must not crash the process (no server owns the socket yet).
    socket.on('error', () => socket.destroy());
    // Until the protocol is known no server owns the socket, so no server's timeout covers it: a connection that
    // sends nothing is closed here.
    const silent = setTimeout(() => socket.destroy(), this.options.headersTimeoutMs);
    let seen = Buffer.alloc(0);
    const peek = (chunk: Buffer): void => {
      seen = Buffer.concat([seen, chunk]);
      const head = seen.subarray(0, H2_PREFACE.length);
      if (seen.length < H2_PREFACE.length && head.equals(H2_PREFACE.subarray(0, head.length))) return;
      clearTimeout(silent);
      socket.off('data', peek);
      socket.pause();
      socket.unshift(seen);
      if (head.equals(H2_PREFACE)) this.http2.emit('connection', asJsStream(socket));
      else this.http1.emit('connection', socket);
      socket.resume();
    };
    socket.on('data', peek);
    socket.once('close', () => clearTimeout(silent));
  }

  /** An HTTP/2 session closes (GOAWAY) once it has had no open stream for keepAliveTimeoutMs. */
  private trackSession(session: Http2Session): void {
    this.sessions.add(session);
    let open = 0;
    let idle: NodeJS.Timeout | undefined;
    const arm = (): void => {
      clearTimeout(idle);
      idle = setTimeout(() => session.close(), this.options.keepAliveTimeoutMs);
    };
    arm();
    session.on('stream', (stream: ServerHttp2Stream) => {
      open += 1;
      clearTimeout(idle);
      stream.once('close', () => {
        open -= 1;
        if (open === 0 && !session.closed && !session.destroyed) arm();
      });
    });
    session.once('close', () => {
      clearTimeout(idle);
      this.sessions.delete(session);
    });
    session.on('error', () => session.destroy());
  }

  /** An HTTP/2 request whose body has not fully arrived within requestTimeoutMs is cancelled. */
  private limitH2Request(stream: ServerHttp2Stream): void {
    const timer = setTimeout(() => {
      // remoteClose: the client has sent its last frame, whether or not the handler has read it yet.
      if (stream.destroyed || stream.state.remoteClose) return;
      if (!stream.headersSent) stream.respond({ ':status': 408, 'content-type': 'application/json' });
      if (!stream.writableEnded) stream.end('{"message":"the request was not received within the request timeout"}');
      stream.close(h2.NGHTTP2_CANCEL);
    }, this.options.requestTimeoutMs);
    requestTimers.set(stream, timer);
    stream.once('close', () => clearTimeout(timer));
  }
}
