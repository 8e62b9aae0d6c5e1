import { hashOf } from '../deterministic-content';

/**
 * Speech tokens per second of audio, as the local endpoint counts them (in and out). Nova Sonic does not publish its
 * rate; what matters here is that tokens follow the audio's duration, as Bedrock's usageEvents do.
 */
export const SPEECH_TOKENS_PER_SECOND = 25;
/** Seconds of speech the local model says per text token of its answer. */
const SECONDS_PER_TEXT_TOKEN = 0.2;
/** Seconds of audio per audioOutput event. */
export const CHUNK_SECONDS = 0.1;

/** The shape of a stream of 16-bit linear PCM, as a contentStart's audio configuration gives it. */
export interface PcmFormat {
  readonly sampleRateHertz: number;
  readonly channelCount: number;
}

/** Seconds of audio in `bytes` of 16-bit PCM. */
export function pcmSeconds(bytes: number, format: PcmFormat): number {
  return bytes / (format.sampleRateHertz * 2 * format.channelCount);
}

export function speechTokens(seconds: number): number {
  return Math.ceil(seconds * SPEECH_TOKENS_PER_SECOND);
}

/** Seconds of speech the local model says for an answer of `textTokens` tokens, a whole number of chunks. */
export function speechSeconds(textTokens: number): number {
  return Math.max(1, Math.round((textTokens * SECONDS_PER_TEXT_TOKEN) / CHUNK_SECONDS)) * CHUNK_SECONDS;
}

/**
 * The audio the local model speaks: `seconds` of a tone whose pitch comes from `seed`, 16-bit little-endian PCM in
 * chunks of 0.1 s, made as they are read. Same seed and length, same bytes.
 */
export function* speak(seed: string, seconds: number, format: PcmFormat): Generator<Buffer> {
  const hertz = 180 + (Number.parseInt(hashOf(seed).slice(0, 4), 16) % 220);
  const samplesPerChunk = Math.round(format.sampleRateHertz * CHUNK_SECONDS);
  const chunkCount = Math.round(seconds / CHUNK_SECONDS);
  for (let c = 0; c < chunkCount; c++) {
    const chunk = Buffer.alloc(samplesPerChunk * 2 * format.channelCount);
    for (let s = 0; s < samplesPerChunk; s++) {
      const t = (c * samplesPerChunk + s) / format.sampleRateHertz;
      const sample = Math.round(Math.sin(2 * Math.PI * hertz * t) * 8000);
      for (let ch = 0; ch < format.channelCount; ch++) chunk.writeInt16LE(sample, (s * format.channelCount + ch) * 2);
    }
    yield chunk;
  }
}
