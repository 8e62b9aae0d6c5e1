export { codec, eventFrame, exceptionFrame, padding, stringHeader } from './event-frames';
export type { Message } from './event-frames';
export { EventStreamFormatError, MAX_MESSAGE_BYTES, readMessages } from './read-messages';
export type { ReadMessagesOptions } from './read-messages';
export { chunkBytes, chunkFrame, openEnvelope } from './bidirectional-events';
export type { SignedEnvelope } from './bidirectional-events';
export { decodeFrames } from './decode-frames';
