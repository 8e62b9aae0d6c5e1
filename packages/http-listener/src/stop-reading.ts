import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerResponse } from 'node:http2';
import { constants } from 'node:http2';

/**
 * Call before answering a request whose body has not been (fully) read, e.g. a refusal decided on the headers:
 * the rest of the body is not read. Over HTTP/1.1 the answer says `connection: close` and the connection ends after
 * it (node:http would otherwise read and discard the whole body to reuse the connection); over HTTP/2 the stream is
 * reset with NO_ERROR once answered, which tells the client to stop sending (RFC 9113 §8.1).
 */
export function stopReadingAfterAnswer(req: IncomingMessage, res: ServerResponse): void {
  if (req.httpVersionMajor === 1) {
    if (!req.complete && !res.headersSent) res.setHeader('connection', 'close');
    return;
  }
  // Over HTTP/2 the stream itself tells whether the client ended its body: `req.complete` is also true for a body whose
  // reader stopped early, and the response's own 'finish' comes only once the stream closed.
  const stream = (res as unknown as Http2ServerResponse).stream;
  const reset = (): void => {
    if (!stream.destroyed && !stream.closed && !stream.state.remoteClose) stream.close(constants.NGHTTP2_NO_ERROR);
  };
  if (stream.writableFinished) reset();
  else stream.once('finish', reset);
}
