import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { authFromSecret, fetchGit, parseGitUrl, SourceError } from '../../../main/sources/index.ts';
import { commitFiles } from '../../support/git-server.ts';
import { startSshGitServer } from '../../support/ssh-git-server.ts';

const exec = promisify(execFile);

describe('ssh:// GitRepositories (system git + OpenSSH)', () => {
  let dir: string;
  let server: { port: number; close: () => void };
  let identity: string;
  let encrypted: string;
  let knownHosts: string;
  let url: string;
  let commit: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fluxdeck-ssh-test-'));
    const keygen = (file: string, pass = ''): Promise<unknown> =>
      exec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', pass, '-C', 'test', '-f', join(dir, file)]);
    await keygen('host');
    await keygen('client');
    await keygen('client-enc', 'open sesame');
    // the encrypted key's public half is added to the same "authorized" check by reusing the client key for it below
    identity = await readFile(join(dir, 'client'), 'utf8');
    encrypted = await readFile(join(dir, 'client-enc'), 'utf8');
    const repos = join(dir, 'repos');
    await exec('git', ['init', '--bare', '--quiet', '--initial-branch=main', join(repos, 'app.git')]);
    commit = await commitFiles(join(repos, 'app.git'), { 'deploy/cm.yaml': 'kind: ConfigMap\n' });
    server = await startSshGitServer(
      repos,
      await readFile(join(dir, 'host'), 'utf8'),
      await readFile(join(dir, 'client.pub'), 'utf8'),
    );
    const hostPub = (await readFile(join(dir, 'host.pub'), 'utf8')).split(' ').slice(0, 2).join(' ');
    knownHosts = `[127.0.0.1]:${server.port} ${hostPub}\n`;
    url = `ssh://git@127.0.0.1:${server.port}/app.git`;
  });
  afterAll(async () => {
    server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('fetches with identity and known_hosts, and refuses an unknown host key', async () => {
    const auth = authFromSecret(parseGitUrl(url), { identity, known_hosts: knownHosts });
    const res = await fetchGit({ url, ref: { branch: 'main' } }, auth, { cacheDir: join(dir, 'cache') });
    expect(res.revision).toBe(`main@sha1:${commit}`);

    const otherHost = `[127.0.0.1]:${server.port} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n`;
    const wrong = authFromSecret(parseGitUrl(url), { identity, known_hosts: otherHost });
    const err = await fetchGit({ url }, wrong, { cacheDir: join(dir, 'cache2'), secretName: 'flux-system/ssh' }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SourceError);
    expect(err).toMatchObject({ reason: 'AuthenticationFailed' });
    expect((err as Error).message).toContain('known_hosts');
  });

  it('says which key is wrong when the server refuses it', async () => {
    const auth = authFromSecret(parseGitUrl(url), {
      identity: encrypted,
      known_hosts: knownHosts,
      password: 'open sesame',
    });
    const err = await fetchGit({ url, ref: { branch: 'main' } }, auth, { cacheDir: join(dir, 'cache3') }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ reason: 'AuthenticationFailed' });
    expect((err as Error).message).toContain("check 'identity'");
    expect((err as Error).message).not.toContain('open sesame');
  });

  it('requires identity and known_hosts for ssh:// URLs', () => {
    expect(() => authFromSecret(parseGitUrl(url), { identity })).toThrow(/known_hosts/);
    expect(() => authFromSecret(parseGitUrl(url), { known_hosts: knownHosts })).toThrow(/identity/);
  });
});
