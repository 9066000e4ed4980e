import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { authFromSecret } from '../../../main/sources/git/git-auth.ts';
import { fetchGit } from '../../../main/sources/git/git-fetch.ts';
import { parseGitUrl } from '../../../main/sources/git/git-url.ts';
import { SourceError } from '../../../main/sources/source-error.ts';
import { type SshGitFixture, startSshGitFixture } from '../../support/ssh-git-server.ts';

describe('ssh:// GitRepositories (system git + OpenSSH)', () => {
  let ssh: SshGitFixture;
  let dir: string;
  let identity: string;
  let encrypted: string;
  let knownHosts: string;
  let url: string;
  let commit: string;

  beforeAll(async () => {
    // client-enc is passphrase-protected and not authorized on the server.
    ssh = await startSshGitFixture({ 'deploy/cm.yaml': 'kind: ConfigMap\n' }, { 'client-enc': 'open sesame' });
    ({ dir, url, knownHosts, commit } = ssh);
    identity = ssh.keys.client ?? '';
    encrypted = ssh.keys['client-enc'] ?? '';
  });
  afterAll(() => ssh.close());

  it('fetches with identity and known_hosts, and refuses an unknown host key', async () => {
    const auth = authFromSecret(parseGitUrl(url), { identity, known_hosts: knownHosts });
    const res = await fetchGit({ url, ref: { branch: 'main' } }, auth, { cacheDir: join(dir, 'cache') });
    expect(res.revision).toBe(`main@sha1:${commit}`);

    const otherHost = `[127.0.0.1]:${ssh.port} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n`;
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
