export { DualProtocolListener, exemptFromRequestTimeout } from './dual-protocol-listener';
export type { DualProtocolListenerOptions, RequestHandler } from './dual-protocol-listener';
export { stopReadingAfterAnswer } from './stop-reading';
