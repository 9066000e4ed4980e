/**
 * A small structured logger. main/ never uses console directly (lint rule): the sink decides where lines go
 * (stderr for the CLI, a file under the app's log directory for Electron). Values under keys that look like secrets
 * are redacted, so a token or password passed in by mistake never reaches a log.
 */
import { redact, scrubText } from './redact.ts';

export { redact };

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
export function createLogger(sink: LogSink, level: LogLevel = 'info', base: Record<string, unknown> = {}): Logger {
  const log =
    (lvl: LogLevel) =>
    (msg: string, fields?: Record<string, unknown>): void => {
      if (ORDER[lvl] < ORDER[level]) return;
      sink.write(line(lvl, msg, { ...base, ...fields }));
    };
  return {
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    child: (fields) => createLogger(sink, level, { ...base, ...fields }),
  };
}

/** One JSON line; logging never throws (a field that cannot be serialised becomes a note, not a crash). */
function line(level: LogLevel, msg: string, fields: Record<string, unknown>): string {
  const time = new Date().toISOString();
  try {
    return JSON.stringify({ time, level, msg: scrubText(msg), ...(redact(fields) as object) });
  } catch (err) {
    return JSON.stringify({ time, level, msg: scrubText(msg), logError: `fields not logged: ${String(err)}` });
  }
}

/** A logger that drops everything (tests, or callers that do not care). */
export const silentLogger: Logger = createLogger({ write: () => undefined }, 'error');
