/**
 * Logs to `fluxdeck.log` in the app's log directory (app.getPath('logs')), one JSON line per record. The previous
 * file is kept as `fluxdeck.1.log` once it passes `maxBytes`, so logs never grow without bound.
 */
import { createWriteStream, mkdirSync, renameSync, statSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';

import type { LogSink } from '../util/logger.ts';

export interface LogFile extends LogSink {
  path: string;
  close(): Promise<void>;
}

export function openLogFile(dir: string, maxBytes = 10 * 1024 * 1024): LogFile {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'fluxdeck.log');
  const size = ((): number => {
    try {
      return statSync(path).size;
    } catch {
      return 0;
    }
  })();
  if (size > maxBytes) renameSync(path, join(dir, 'fluxdeck.1.log'));
  const stream: WriteStream = createWriteStream(path, { flags: 'a', mode: 0o600 });
  return {
    path,
    write: (line) => void stream.write(line + '\n'),
    close: () => new Promise((resolve) => stream.end(resolve)),
  };
}
