/**
 * The app's local settings, one JSON file in the data directory (`<dataDir>/settings.json`), shared by the desktop
 * app and `fluxdeck serve`. Each section is validated with its contract schema when read: a missing, damaged or
 * invalid section falls back to its defaults (with a warning) instead of keeping the app from starting. Written to a
 * temporary file and renamed, so a crash never leaves half a file; readable by the user only.
 */
import { readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { DEFAULT_NOTIFICATION_SETTINGS, NotificationSettings } from '../contract/index.ts';
import { errorMessage } from '../util/errors.ts';
import type { Logger } from '../util/logger.ts';

export interface AppSettings {
  notifications: NotificationSettings;
}

export interface SettingsFile {
  readonly path: string;
  current(): AppSettings;
  /** Persists the whole settings (validated by the caller: the router checked the payload). */
  save(next: AppSettings): Promise<void>;
}

function readJson(path: string, logger: Logger): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return {};
  }
  try {
    const json: unknown = JSON.parse(text);
    return typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : {};
  } catch (err) {
    logger.warn('the settings file is not JSON: using the defaults', { path, error: errorMessage(err) });
    return {};
  }
}

export function openSettingsFile(dataDir: string, logger: Logger): SettingsFile {
  const path = join(dataDir, 'settings.json');
  const raw = readJson(path, logger);
  let notifications = DEFAULT_NOTIFICATION_SETTINGS;
  if (raw.notifications !== undefined) {
    const parsed = NotificationSettings.safeParse(raw.notifications);
    if (parsed.success) notifications = parsed.data;
    else logger.warn('the notification settings are invalid: using the defaults', { path });
  }
  let settings: AppSettings = { notifications };
  let writing = Promise.resolve();
  return {
    path,
    current: () => settings,
    save(next) {
      settings = next;
      // Keep sections this version does not know (a newer Fluxdeck's), and write one save at a time.
      const text = `${JSON.stringify({ ...raw, ...next }, null, 2)}\n`;
      const tmp = `${path}.${process.pid}.tmp`;
      writing = writing
        .catch(() => undefined)
        .then(async () => {
          await writeFile(tmp, text, { mode: 0o600 });
          await rename(tmp, path);
        });
      return writing;
    },
  };
}

/** Settings kept in this process only (tests, and shells without a data directory). */
export function memorySettingsFile(): SettingsFile {
  let settings: AppSettings = { notifications: DEFAULT_NOTIFICATION_SETTINGS };
  return {
    path: ':memory:',
    current: () => settings,
    save(next) {
      settings = next;
      return Promise.resolve();
    },
  };
}
