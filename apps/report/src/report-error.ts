/** What went wrong: bad input (logs, files, arguments) or a source that could not be reached. */
export type ReportErrorKind = 'usage' | 'input' | 'configuration' | 'source';

/** The one error the report raises; the CLI prints its message and exits non-zero, never a stack trace. */
export class ReportError extends Error {
  override readonly name = 'ReportError';

  constructor(
    readonly kind: ReportErrorKind,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
  }
}
