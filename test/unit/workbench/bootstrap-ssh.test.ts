import { describe, expect, it } from 'vitest';

import { generateSshKeyPair } from '../../../main/sources/git/ssh-keys.ts';
import { trustHostKeys } from '../../../main/workbench/bootstrap-ssh.ts';
import { BootstrapFailed, BootstrapInputError, bootstrapPlan } from '../../../main/workbench/index.ts';

// The SSH half of bootstrap's plan (flags checked before anything is written) and the host key trust decision.

const KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\n…\n-----END OPENSSH PRIVATE KEY-----\n';
const base = { path: 'clusters/prod', privateKey: KEY };

describe('bootstrapPlan over SSH', () => {
  it('takes an ssh:// URL with a private key, with Flux defaults for the deploy key', () => {
    const plan = bootstrapPlan({ ...base, url: 'ssh://git@example.com:2222/org/fleet.git' });
    expect(plan).toMatchObject({
      url: 'ssh://git@example.com:2222/org/fleet.git',
      branch: 'main',
      ssh: { privateKey: KEY, keyAlgorithm: 'ecdsa', ecdsaCurve: 'p384', rsaBits: 2048, silent: false },
    });
    expect(plan.auth).toBeUndefined();
    expect(plan.notes).toBeUndefined();
    expect(plan.ssh?.passphrase).toBeUndefined();
  });

  it('uses --password as the key passphrase, and takes the key options', () => {
    const plan = bootstrapPlan({
      ...base,
      url: 'ssh://git@example.com/org/fleet.git',
      password: 'pp',
      keyAlgorithm: 'rsa',
      rsaBits: 4096,
      silent: true,
    });
    expect(plan.ssh).toMatchObject({ passphrase: 'pp', keyAlgorithm: 'rsa', rsaBits: 4096, silent: true });
    expect(bootstrapPlan({ ...base, url: 'ssh://h/r.git', ecdsaCurve: 'p521' }).ssh?.ecdsaCurve).toBe('p521');
  });

  it('rewrites an scp-like URL to ssh:// (Flux refuses it) and says so', () => {
    const plan = bootstrapPlan({ ...base, url: 'git@github.com:org/fleet.git' });
    expect(plan.url).toBe('ssh://git@github.com/org/fleet.git');
    expect(plan.notes).toEqual([
      'using ssh://git@github.com/org/fleet.git for the scp-like URL git@github.com:org/fleet.git (a GitRepository needs ssh://)',
    ]);
    expect(bootstrapPlan({ ...base, url: 'deploy@git.example:/srv/fleet.git' }).url).toBe(
      'ssh://deploy@git.example/srv/fleet.git',
    );
  });

  it.each([
    [{ url: 'ssh://git@h/r.git', privateKey: undefined }, /needs the private key .*--private-key-file/],
    [{ url: 'ssh://git@h/r.git', username: 'me' }, /the user goes in the URL/],
    [{ url: 'ssh://git@h/r.git', keyAlgorithm: 'dsa' }, /'dsa' is not supported: use ecdsa, ed25519, rsa/],
    [{ url: 'ssh://git@h/r.git', ecdsaCurve: 'p192' }, /'p192' is not supported: use p256, p384, p521/],
    [{ url: 'ssh://git@h/r.git', keyAlgorithm: 'rsa', rsaBits: 1024 }, /1024 is not supported/],
    [{ url: 'ssh://git@h/r.git', rsaBits: Number('x') }, /NaN is not supported/],
    [{ url: 'https://h/r.git' }, /a private key is for ssh:\/\/ URLs; https:\/\/h\/r.git is https:\/\//],
  ])('refuses %j', (input, message) => {
    expect(() => bootstrapPlan({ ...base, ...input })).toThrow(BootstrapInputError);
    expect(() => bootstrapPlan({ ...base, ...input })).toThrow(message);
  });

  it('keeps HTTPS basic auth as before', () => {
    const plan = bootstrapPlan({ url: 'https://h/r.git', path: 'clusters/a', username: 'u', password: 'p' });
    expect(plan.auth).toEqual({ username: 'u', password: 'p' });
    expect(plan.ssh).toBeUndefined();
  });
});

describe('trustHostKeys', () => {
  const url = { host: '127.0.0.1', port: 2222 };
  const hostKey = (): string => generateSshKeyPair({ algorithm: 'ed25519' }).publicKey.trim().split(' ')[1] ?? '';
  const server = hostKey();
  const scanned = `[127.0.0.1]:2222 ssh-ed25519 ${server}\n`;

  it('trusts the scanned keys on first use when the Secret has none', () => {
    expect(trustHostKeys({ scanned }, url, 'flux-system/flux-system')).toEqual({
      status: 'new',
      knownHosts: scanned,
      keys: [{ hosts: '[127.0.0.1]:2222', type: 'ssh-ed25519', key: server }],
    });
  });

  it('keeps the stored known_hosts when the server still presents one of its keys', () => {
    const stored = `# pinned\n[127.0.0.1]:2222 ecdsa-sha2-nistp256 ${hostKey()}\n[127.0.0.1]:2222 ssh-ed25519 ${server}\n`;
    const trust = trustHostKeys({ stored, scanned }, url, 'flux-system/flux-system');
    expect(trust.status).toBe('known');
    expect(trust.knownHosts).toBe(stored);
  });

  it('refuses a changed key, or a stored key for another host, naming both fingerprints', () => {
    const other = hostKey();
    const changed = `[127.0.0.1]:2222 ssh-ed25519 ${other}\n`;
    const run =
      (stored: string): (() => unknown) =>
      () =>
        trustHostKeys({ stored, scanned }, url, 'ns/flux-system');
    expect(run(changed)).toThrow(BootstrapFailed);
    expect(run(changed)).toThrow(
      /^the SSH host key of \[127\.0\.0\.1\]:2222 is not the one in known_hosts of Secret ns\/flux-system: the server presents ED25519 SHA256:\S+, the Secret trusts ED25519 SHA256:\S+\. .*kubectl -n ns patch secret flux-system .*nothing was written$/,
    );
    // The same key under another host name does not count for this one.
    expect(run(`other.example ssh-ed25519 ${server}\n`)).toThrow(/the Secret trusts no key for \[127\.0\.0\.1\]:2222/);
  });

  it("uses the user's ~/.ssh/known_hosts to confirm the scan, keeping only the keys it confirms", () => {
    const other = hostKey();
    const both = `${scanned}[127.0.0.1]:2222 ecdsa-sha2-nistp256 ${other}\n`;
    const user = `github.com ssh-ed25519 ${hostKey()}\n[127.0.0.1]:2222 ssh-ed25519 ${server}\n`;
    expect(trustHostKeys({ user, scanned: both }, url, 'ns/flux-system')).toMatchObject({
      status: 'user-known',
      knownHosts: scanned,
    });
    // Not named there: trusted on first use; named with another key: refused, with what to do.
    expect(trustHostKeys({ user: `github.com ssh-ed25519 ${server}\n`, scanned }, url, 'ns/x').status).toBe('new');
    expect(() =>
      trustHostKeys({ user: `[127.0.0.1]:2222 ssh-ed25519 ${other}\n`, scanned }, url, 'ns/flux-system'),
    ).toThrow(/is not the one in your ~\/\.ssh\/known_hosts: .*run 'ssh-keygen -R \[127\.0\.0\.1\]:2222'/);
    // The Secret's known_hosts wins over the user's.
    const stored = `[127.0.0.1]:2222 ssh-ed25519 ${server}\n`;
    expect(trustHostKeys({ stored, user: `[127.0.0.1]:2222 ssh-ed25519 ${other}\n`, scanned }, url, 'n/s').status).toBe(
      'known',
    );
  });
});
