/**
 * Git credentials the user typed for a repository (when the GitRepository's own Secret cannot push, or has none).
 * They stay in main: the renderer sends them once and is only ever told where they are kept. The desktop keeps them
 * with Electron safeStorage (main/electron/credential-store.ts, the OS keychain); `fluxdeck serve` keeps them in this
 * process's memory only, so they are gone when it stops.
 */
import type { GitCredentials } from '../contract/index.ts';

export interface StoredCredentials {
  credentials: GitCredentials;
  kept: 'keychain' | 'memory';
}

export interface CredentialStore {
  /** `keychain` when what is stored survives a restart protected by the OS, `memory` otherwise. */
  readonly kind: 'keychain' | 'memory';
  get(url: string): Promise<StoredCredentials | undefined>;
  /** `remember: false` keeps them for this process only, even where a keychain exists. */
  set(url: string, credentials: GitCredentials, remember: boolean): Promise<void>;
  delete(url: string): Promise<void>;
}

/** Credentials in this process's memory, keyed by repository URL (credentials removed from it). */
export function memoryCredentialStore(): CredentialStore {
  const entries = new Map<string, GitCredentials>();
  return {
    kind: 'memory',
    get: (url) => {
      const credentials = entries.get(url);
      return Promise.resolve(credentials && { credentials, kept: 'memory' as const });
    },
    set: (url, credentials) => {
      entries.set(url, credentials);
      return Promise.resolve();
    },
    delete: (url) => {
      entries.delete(url);
      return Promise.resolve();
    },
  };
}

/**
 * A store that keeps what is not to be remembered in memory and the rest in `persistent` (the keychain): the
 * session's choice wins while the process runs.
 */
export function layeredCredentialStore(persistent: CredentialStore): CredentialStore {
  const session = memoryCredentialStore();
  return {
    kind: persistent.kind,
    get: async (url) => (await session.get(url)) ?? persistent.get(url),
    set: async (url, credentials, remember) => {
      if (remember) {
        await session.delete(url);
        await persistent.set(url, credentials, true);
      } else {
        await persistent.delete(url);
        await session.set(url, credentials, false);
      }
    },
    delete: async (url) => {
      await session.delete(url);
      await persistent.delete(url);
    },
  };
}
