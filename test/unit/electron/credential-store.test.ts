import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { silentLogger } from '../../../main/util/logger.ts';
import { electronStub, fakeSafeStorage } from './electron-stub.ts';

vi.mock('electron', () => electronStub);

const { desktopCredentialStore } = await import('../../../main/electron/credential-store.ts');

const URL_A = 'https://git.example.com/team/apps.git';
const URL_B = 'https://git.example.com/team/infra.git';

let dir: string;
let file: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fluxdeck-creds-'));
  file = join(dir, 'git-credentials.json');
  fakeSafeStorage.available = true;
  fakeSafeStorage.backend = 'gnome_libsecret';
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('git credentials on the desktop', () => {
  it('keeps remembered credentials sealed by the keychain, across store instances, and never in plain text', async () => {
    const store = await desktopCredentialStore({ file, logger: silentLogger });
    expect(store.kind).toBe('keychain');
    await store.set(URL_A, { username: 'alice', password: 's3cret-token' }, true);
    const onDisk = await readFile(file, 'utf8');
    expect(onDisk).not.toContain('s3cret-token');
    expect(onDisk).not.toContain('alice');
    const again = await desktopCredentialStore({ file, logger: silentLogger });
    expect(await again.get(URL_A)).toEqual({
      credentials: { username: 'alice', password: 's3cret-token' },
      kept: 'keychain',
    });
    expect(await again.get(URL_B)).toBeUndefined();
  });

  it('keeps credentials the user did not want remembered in memory only', async () => {
    const store = await desktopCredentialStore({ file, logger: silentLogger });
    await store.set(URL_A, { bearerToken: 'tok' }, false);
    expect(await store.get(URL_A)).toEqual({ credentials: { bearerToken: 'tok' }, kept: 'memory' });
    const restarted = await desktopCredentialStore({ file, logger: silentLogger });
    expect(await restarted.get(URL_A)).toBeUndefined();
  });

  it('forgets one repository and keeps the others', async () => {
    const store = await desktopCredentialStore({ file, logger: silentLogger });
    await store.set(URL_A, { bearerToken: 'a' }, true);
    await store.set(URL_B, { bearerToken: 'b' }, true);
    await store.delete(URL_A);
    expect(await store.get(URL_A)).toBeUndefined();
    expect((await store.get(URL_B))?.credentials).toEqual({ bearerToken: 'b' });
  });

  it('falls back to memory where safeStorage has no real keychain (Linux basic_text)', async () => {
    fakeSafeStorage.backend = 'basic_text';
    const store = await desktopCredentialStore({ file, logger: silentLogger });
    expect(store.kind).toBe('memory');
    await store.set(URL_A, { bearerToken: 'tok' }, true);
    await expect(readFile(file, 'utf8')).rejects.toThrow(/ENOENT/);
  });

  it('treats an entry it cannot decrypt as absent, without logging it', async () => {
    await writeFile(
      file,
      JSON.stringify({ version: 1, entries: { [URL_A]: Buffer.from('garbage').toString('base64') } }),
    );
    const warn = vi.fn();
    const store = await desktopCredentialStore({ file, logger: { ...silentLogger, warn } });
    expect(await store.get(URL_A)).toBeUndefined();
    expect(JSON.stringify(warn.mock.calls)).not.toContain('garbage');
  });
});
