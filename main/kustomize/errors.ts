/**
 * The one error type the build engine throws. It carries the file (as the filesystem shows it: see shownPath) and,
 * for YAML problems, the 1-based line and column, and it survives structured cloning out of a worker as plain fields.
 */
export interface KustomizeErrorInfo {
  message: string;
  file?: string;
  line?: number;
  column?: number;
}

export class KustomizeError extends Error {
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly column: number | undefined;
  /** The message without the location prefix, so `new KustomizeError(err.toJSON())` does not prefix it twice. */
  readonly #reason: string;

  constructor(info: KustomizeErrorInfo, options?: { cause?: unknown }) {
    super(formatMessage(info), options);
    this.name = 'KustomizeError';
    this.file = info.file;
    this.line = info.line;
    this.column = info.column;
    this.#reason = info.message;
  }

  /** The fields the constructor takes (for a worker's reply); `message` is the reason without the location. */
  toJSON(): KustomizeErrorInfo & { name: string } {
    return { name: this.name, message: this.#reason, file: this.file, line: this.line, column: this.column };
  }
}

function formatMessage(info: KustomizeErrorInfo): string {
  if (info.file === undefined) return info.message;
  const where = info.line === undefined ? info.file : `${info.file}:${info.line}:${info.column ?? 1}`;
  return `${where}: ${info.message}`;
}

/** Wraps any failure while handling `file`, keeping the original as the cause. */
export function errorIn(file: string, message: string, cause?: unknown): KustomizeError {
  const detail = cause instanceof Error ? `: ${cause.message}` : '';
  return new KustomizeError({ file, message: message + detail }, { cause });
}
