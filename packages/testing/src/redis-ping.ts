import { connect } from 'node:net';

/** One PING over a fresh socket: true when the server answers +PONG within `timeoutMs`. */
export function pingOnce(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let reply = '';
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('error', () => done(false));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
    socket.once('connect', () => socket.write('PING\r\n'));
  });
}

/** Wait until the server answers PING, polling, or until `timeoutMs`. `gaveUp` stops early (the process died). */
export async function waitForPong(
  host: string,
  port: number,
  timeoutMs: number,
  gaveUp: () => string | undefined = () => undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reason = gaveUp();
    if (reason !== undefined) throw new Error(reason);
    if (await pingOnce(host, port, 250)) return;
    if (Date.now() > deadline) throw new Error(`redis at ${host}:${port} did not answer PING within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
