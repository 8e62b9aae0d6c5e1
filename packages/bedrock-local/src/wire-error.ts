/** An error answer in the restJson1 shape Bedrock uses: status, `x-amzn-errortype`, `{"message"}`. */
export class WireError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    /** Members of the error body besides `message`. */
    readonly members: Readonly<Record<string, string | number>> = {},
  ) {
    super(message);
  }
}

export const validation = (message: string): WireError => new WireError(400, 'ValidationException', message);
export const throttling = (): WireError =>
  new WireError(429, 'ThrottlingException', 'Too many requests, please wait before trying again.');
export const internalError = (): WireError =>
  new WireError(500, 'InternalServerException', 'The server encountered an internal error. Try again later.');
export const serviceUnavailable = (): WireError =>
  new WireError(
    503,
    'ServiceUnavailableException',
    'The service is temporarily unable to handle the request. Try again later.',
  );
