/**
 * A small structured logger. main/ never uses console directly (lint rule): the sink decides where lines go
 * (stderr for the CLI, a file under the app's log directory for Electron). Values under keys that look like secrets
 * are redacted, so a token or password passed in by mistake never reaches a log.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogSink {
  write(line: string): void;
}

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_KEY = /(password|passwd|token|secret|credential|authorization|private.?key|identity)/i;

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error)
    return { message: value.message, ...(value.cause ? { cause: redact(value.cause, depth + 1) } : {}) };
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) ? '[redacted]' : redact(v, depth + 1);
  return out;
}

export function createLogger(sink: LogSink, level: LogLevel = 'info', base: Record<string, unknown> = {}): Logger {
  const log =
    (lvl: LogLevel) =>
    (msg: string, fields?: Record<string, unknown>): void => {
      if (ORDER[lvl] < ORDER[level]) return;
      const rec = { time: new Date().toISOString(), level: lvl, msg, ...(redact({ ...base, ...fields }) as object) };
      sink.write(JSON.stringify(rec));
    };
  return {
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    child: (fields) => createLogger(sink, level, { ...base, ...fields }),
  };
}

/** A logger that drops everything (tests, or callers that do not care). */
export const silentLogger: Logger = createLogger({ write: () => undefined }, 'error');
