import { describe, expect, it } from 'vitest';

import {
  type CredentialStore,
  layeredCredentialStore,
  memoryCredentialStore,
} from '../../../main/workbench/credential-store.ts';
import { branchOf } from '../../../main/workbench/work-trees.ts';

describe('the branch a work tree edits', () => {
  it('follows the GitRepository: its branch, master by default, a refs/heads name, a pinned commit on a branch', () => {
    expect(branchOf({ branch: 'main' })).toBe('main');
    expect(branchOf(undefined)).toBe('master');
    expect(branchOf({})).toBe('master');
    expect(branchOf({ name: 'refs/heads/release/1.x' })).toBe('release/1.x');
    expect(branchOf({ commit: 'a'.repeat(40), branch: 'main' })).toBe('main');
  });

  it('has none for tags, semver ranges, pinned commits alone and refs that are not branches', () => {
    expect(branchOf({ tag: 'v1.0.0' })).toBeUndefined();
    expect(branchOf({ semver: '>=1.0.0' })).toBeUndefined();
    expect(branchOf({ commit: 'a'.repeat(40) })).toBeUndefined();
    expect(branchOf({ name: 'refs/pull/42/head' })).toBeUndefined();
  });
});

describe('credentials the user entered', () => {
  const keychain = (): CredentialStore & { entries: Map<string, unknown> } => {
    const entries = new Map<string, unknown>();
    return {
      kind: 'keychain',
      entries,
      get: (url) => {
        const c = entries.get(url);
        return Promise.resolve(
          c ? { credentials: c as { bearerToken: string }, kept: 'keychain' as const } : undefined,
        );
      },
      set: (url, c) => Promise.resolve(void entries.set(url, c)),
      delete: (url) => Promise.resolve(void entries.delete(url)),
    };
  };

  it('keeps what is not to be remembered in memory, and the latest choice wins', async () => {
    const kc = keychain();
    const store = layeredCredentialStore(kc);
    await store.set('https://git/a', { bearerToken: 'one' }, true);
    expect(await store.get('https://git/a')).toEqual({ credentials: { bearerToken: 'one' }, kept: 'keychain' });
    await store.set('https://git/a', { bearerToken: 'two' }, false);
    expect(kc.entries.has('https://git/a')).toBe(false);
    expect(await store.get('https://git/a')).toEqual({ credentials: { bearerToken: 'two' }, kept: 'memory' });
    await store.delete('https://git/a');
    expect(await store.get('https://git/a')).toBeUndefined();
  });

  it('says the memory store keeps them in memory', async () => {
    const store = memoryCredentialStore();
    expect(store.kind).toBe('memory');
    await store.set('https://git/a', { username: 'ada', password: 'pw' }, true);
    expect((await store.get('https://git/a'))?.kept).toBe('memory');
  });
});
