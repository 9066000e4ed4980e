/**
 * Git credentials the user entered, kept across restarts with Electron safeStorage: each entry is encrypted with the
 * OS keychain's key (Keychain on macOS, DPAPI on Windows, libsecret/kwallet on Linux) and only the ciphertext is
 * written, to `<userData>/git-credentials.json` (mode 600). Where safeStorage has no real keychain (Linux without a
 * secret service falls back to a hard-coded key, `basic_text`), nothing is written: credentials stay in memory.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

import { safeStorage } from 'electron';

import { GitCredentials } from '../contract/index.ts';
import type { Logger } from '../util/logger.ts';
import { type CredentialStore, layeredCredentialStore, memoryCredentialStore } from '../workbench/index.ts';

interface StoreFile {
  version: 1;
  /** Repository URL → base64 of the safeStorage-encrypted JSON credentials. */
  entries: Record<string, string>;
}

/** True when safeStorage encrypts with a key the OS protects (not Chromium's fallback plain-text key). */
export async function keychainAvailable(platform: NodeJS.Platform = process.platform): Promise<boolean> {
  if (!(await safeStorage.isAsyncEncryptionAvailable())) return false;
  return platform !== 'linux' || safeStorage.getSelectedStorageBackend() !== 'basic_text';
}

async function readStore(file: string): Promise<StoreFile> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<StoreFile>;
    return { version: 1, entries: parsed.entries ?? {} };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, entries: {} };
    throw new Error(`${file} cannot be read; move it away to start without saved git credentials`, { cause: err });
  }
}

/** The keychain store (falling back to memory where there is no keychain); "don't remember" stays in memory. */
export async function desktopCredentialStore(opts: { file: string; logger: Logger }): Promise<CredentialStore> {
  if (!(await keychainAvailable())) {
    opts.logger.warn('no OS keychain for safeStorage: git credentials you enter are kept in memory only');
    return memoryCredentialStore();
  }
  let queue: Promise<unknown> = Promise.resolve();
  /** One read-modify-write at a time, written to a temporary file and renamed, so a crash never leaves half a file. */
  const update = (change: (s: StoreFile) => void): Promise<void> => {
    const run = queue.then(async () => {
      const store = await readStore(opts.file);
      change(store);
      await mkdir(dirname(opts.file), { recursive: true });
      const tmp = `${opts.file}.tmp`;
      await writeFile(tmp, JSON.stringify(store), { mode: 0o600 });
      await rename(tmp, opts.file);
    });
    queue = run.catch(() => undefined);
    return run;
  };
  const seal = async (credentials: GitCredentials): Promise<string> =>
    (await safeStorage.encryptStringAsync(JSON.stringify(credentials))).toString('base64');
  const keychain: CredentialStore = {
    kind: 'keychain',
    get: async (url) => {
      const sealed = (await readStore(opts.file)).entries[url];
      if (sealed === undefined) return undefined;
      try {
        const opened = await safeStorage.decryptStringAsync(Buffer.from(sealed, 'base64'));
        const credentials = GitCredentials.parse(JSON.parse(opened.result));
        // The keychain's key was rotated: store it under the new one.
        if (opened.shouldReEncrypt) await keychain.set(url, credentials, true);
        return { credentials, kept: 'keychain' };
      } catch (err) {
        // A keychain reset or another user's file: the entry is useless, not fatal. Never log the content.
        opts.logger.warn('saved git credentials could not be decrypted; enter them again', {
          url,
          error: err instanceof Error ? err.name : 'unknown',
        });
        return undefined;
      }
    },
    set: async (url, credentials) => {
      const sealed = await seal(credentials);
      await update((s) => {
        s.entries[url] = sealed;
      });
    },
    delete: (url) =>
      update((s) => {
        s.entries = Object.fromEntries(Object.entries(s.entries).filter(([k]) => k !== url));
      }),
  };
  return layeredCredentialStore(keychain);
}
