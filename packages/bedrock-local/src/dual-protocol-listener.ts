import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import { createServer as createH2Server } from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import { createServer as createNetServer } from 'node:net';
import { Duplex } from 'node:stream';

const H2_PREFACE = Buffer.from('PRI * HTTP/2.0');

// node:http2 reads a real socket natively, below the bytes we already peeked at (and unshifted);
// behind a plain Duplex it reads through JavaScript, so the peeked preface is seen.
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

export interface DualProtocolListener {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * The SDK's Bedrock runtime client speaks HTTP/2 by default (cleartext, prior knowledge) and HTTP/1.1 with a
 * NodeHttpHandler: one port serves both, picked by the connection's first bytes.
 */
export async function listenDualProtocol(onRequest: (req: IncomingMessage, res: ServerResponse) => void, port: number, host: string): Promise<DualProtocolListener> {
  const http1 = createServer(onRequest);
  http1.keepAliveTimeout = 5_000;
  const http2 = createH2Server(onRequest as unknown as Parameters<typeof createH2Server>[1]);
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    // A client resetting before its first byte must not crash the process (no server owns the socket yet).
    socket.on('error', () => socket.destroy());
    // Peek until the bytes decide (the preface may arrive split), then hand the socket over with them.
    let seen = Buffer.alloc(0);
    const peek = (chunk: Buffer): void => {
      seen = Buffer.concat([seen, chunk]);
      const head = seen.subarray(0, H2_PREFACE.length);
      const undecided = seen.length < H2_PREFACE.length && head.equals(H2_PREFACE.subarray(0, head.length));
      if (undecided) return;
      socket.off('data', peek);
      socket.pause();
      socket.unshift(seen);
      if (head.equals(H2_PREFACE)) http2.emit('connection', asJsStream(socket));
      else http1.emit('connection', socket);
      socket.resume();
    };
    socket.on('data', peek);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        http1.closeAllConnections();
        for (const socket of sockets) socket.destroy();
      }),
  };
}
