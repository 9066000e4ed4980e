import { execFile } from 'node:child_process';
import { createHmac, createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  fingerprint,
  generateSshKeyPair,
  type KeyOptions,
  knownHostsName,
  namesHost,
  parseKnownHosts,
  publicBlob,
} from '../../../main/sources/git/ssh-keys.ts';
import { sshPublicKeyOf } from '../../../main/sources/git/ssh-transport.ts';

// Deploy keys as the Secret stores them: each private key must load in OpenSSH (our transport: `ssh-keygen -y` gives
// back the same public key) and in ssh2 (a second, independent SSH implementation), and the public key must be an
// authorized_keys line with the right type.

const exec = promisify(execFile);
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fluxdeck-ssh-keys-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const cases: [KeyOptions, RegExp, string][] = [
  [{ algorithm: 'ecdsa' }, /^ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQ/, 'EC PRIVATE KEY'],
  [{ algorithm: 'ecdsa', curve: 'p256' }, /^ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTY/, 'EC PRIVATE KEY'],
  [{ algorithm: 'ecdsa', curve: 'p521' }, /^ecdsa-sha2-nistp521 AAAAE2VjZHNhLXNoYTItbmlzdHA1MjE/, 'EC PRIVATE KEY'],
  [{ algorithm: 'ed25519', comment: 'flux' }, /^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI\S+ flux$/, 'OPENSSH PRIVATE KEY'],
  [{ algorithm: 'rsa' }, /^ssh-rsa AAAAB3NzaC1yc2EAAAADAQAB/, 'RSA PRIVATE KEY'],
];

describe('generateSshKeyPair', () => {
  it.each(cases)('%j: PEM OpenSSH and ssh2 load, public key line of the right type', async (opts, pub, pem) => {
    const pair = generateSshKeyPair(opts);
    expect(pair.privateKey).toMatch(new RegExp(`^-----BEGIN ${pem}-----\\n[A-Za-z0-9+/=\\n]+-----END ${pem}-----\\n$`));
    expect(pair.publicKey.trim()).toMatch(pub);
    expect(pair.publicKey.endsWith('\n')).toBe(true);
    expect(pair.publicKey.trim().split('\n')).toHaveLength(1);

    // OpenSSH derives the same public key from the private one.
    const file = join(dir, `${opts.algorithm}-${opts.curve ?? ''}`);
    await writeFile(file, pair.privateKey, { mode: 0o600 });
    const derived = (await exec('ssh-keygen', ['-y', '-f', file])).stdout.trim();
    expect(derived.split(' ').slice(0, 2)).toEqual(pair.publicKey.trim().split(' ').slice(0, 2));
    expect(await sshPublicKeyOf(pair.privateKey)).toBe(`${derived}\n`);

    // ssh2 parses both halves and a signature made with the private key verifies with the public one.
    const priv = ssh2.utils.parseKey(pair.privateKey);
    const pubKey = ssh2.utils.parseKey(pair.publicKey);
    if (priv instanceof Error) throw priv;
    if (pubKey instanceof Error) throw pubKey;
    const data = Buffer.from('signed by the deploy key');
    const hash = opts.algorithm === 'rsa' ? 'sha256' : undefined;
    expect(pubKey.verify(data, priv.sign(data, hash), hash)).toBe(true);
    expect(priv.getPublicSSH().toString('base64')).toBe(pair.publicKey.trim().split(' ')[1]);
  });

  it('makes a new key each time, and refuses RSA sizes Flux would not use', () => {
    expect(generateSshKeyPair({ algorithm: 'ed25519' }).publicKey).not.toBe(
      generateSshKeyPair({ algorithm: 'ed25519' }).publicKey,
    );
    expect(() => generateSshKeyPair({ algorithm: 'rsa', rsaBits: 1024 })).toThrow(/2048 to 8192 bits/);
  });

  it('encodes the RSA exponent and modulus as mpints (a leading zero when the top bit is set)', () => {
    const { privateKey } = generateSshKeyPair({ algorithm: 'rsa' });
    const blob = publicBlob(createPublicKey(createPrivateKey(privateKey)));
    const read = (at: number): [Buffer, number] => {
      const n = blob.readUInt32BE(at);
      return [blob.subarray(at + 4, at + 4 + n), at + 4 + n];
    };
    const [type, a] = read(0);
    const [e, b] = read(a);
    const [n, end] = read(b);
    expect(type.toString()).toBe('ssh-rsa');
    expect(e.toString('hex')).toBe('010001');
    expect(n[0]).toBe(0);
    expect((n[1] ?? 0) & 0x80).toBe(0x80);
    expect(end).toBe(blob.length);
  });
});

describe('known_hosts', () => {
  const key = generateSshKeyPair({ algorithm: 'ed25519' }).publicKey.trim().split(' ')[1] ?? '';

  it('names a host as OpenSSH does: bare on port 22, [host]:port otherwise', () => {
    expect(knownHostsName('github.com', 22)).toBe('github.com');
    expect(knownHostsName('127.0.0.1', 2222)).toBe('[127.0.0.1]:2222');
  });

  it('reads host key lines, skipping comments, blanks and markers', () => {
    const text = `# a comment\n\n[127.0.0.1]:2222 ssh-ed25519 ${key}\n@revoked * ssh-rsa AAAA\ngit.example,10.0.0.1 ssh-ed25519 ${key} comment\n`;
    expect(parseKnownHosts(text)).toEqual([
      { hosts: '[127.0.0.1]:2222', type: 'ssh-ed25519', key },
      { hosts: 'git.example,10.0.0.1', type: 'ssh-ed25519', key },
    ]);
  });

  it('matches plain and hashed (ssh-keygen -H) host fields', () => {
    const salt = Buffer.from('0123456789abcdef0123');
    const hash = createHmac('sha1', salt).update('[127.0.0.1]:2222').digest('base64');
    const hashed = { hosts: `|1|${salt.toString('base64')}|${hash}`, type: 'ssh-ed25519', key };
    expect(namesHost(hashed, '[127.0.0.1]:2222')).toBe(true);
    expect(namesHost(hashed, '127.0.0.1')).toBe(false);
    expect(namesHost({ hosts: 'a.example,b.example', type: 't', key }, 'b.example')).toBe(true);
    expect(namesHost({ hosts: 'a.example', type: 't', key }, 'b.example')).toBe(false);
  });

  it('prints fingerprints as ssh-keygen -l does', async () => {
    const pair = generateSshKeyPair({ algorithm: 'ecdsa' });
    const file = join(dir, 'fp.pub');
    await writeFile(file, pair.publicKey);
    const listed = (await exec('ssh-keygen', ['-l', '-E', 'sha256', '-f', file])).stdout.split(' ')[1];
    expect(fingerprint(pair.publicKey.trim().split(' ')[1] ?? '')).toBe(listed);
  });
});
