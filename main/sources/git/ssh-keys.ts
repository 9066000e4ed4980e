/**
 * SSH key pairs and `known_hosts` lines, as `flux bootstrap` and `flux create secret git` write them into a source's
 * Secret (`identity`, `identity.pub`, `known_hosts`). Pure: Node's crypto makes the keys, this module encodes them.
 *
 * Private keys are written in the formats both readers of the Secret accept, OpenSSH (our transport runs the system
 * `ssh`) and Go's x/crypto/ssh (Flux's source-controller): ECDSA as SEC1 `EC PRIVATE KEY` and RSA as PKCS#1
 * `RSA PRIVATE KEY` (what Flux writes), Ed25519 in OpenSSH's own `OPENSSH PRIVATE KEY` format, because OpenSSH cannot
 * load a PKCS#8 Ed25519 key ("invalid format"). Public keys are `authorized_keys` lines (`<type> <base64> <comment>`).
 */
import { createHash, createHmac, generateKeyPairSync, type JsonWebKey, type KeyObject, randomBytes } from 'node:crypto';

export type SshKeyAlgorithm = 'ecdsa' | 'ed25519' | 'rsa';
export type EcdsaCurve = 'p256' | 'p384' | 'p521';

export const SSH_KEY_ALGORITHMS: readonly SshKeyAlgorithm[] = ['ecdsa', 'ed25519', 'rsa'];
export const ECDSA_CURVES: readonly EcdsaCurve[] = ['p256', 'p384', 'p521'];

export interface SshKeyPair {
  /** PEM text; a secret: never log or show it. */
  privateKey: string;
  /** One `authorized_keys` line, ending in a newline. */
  publicKey: string;
}

export interface KeyOptions {
  algorithm: SshKeyAlgorithm;
  /** ECDSA only (Flux's default is p384). */
  curve?: EcdsaCurve;
  /** RSA only (Flux's default is 2048). */
  rsaBits?: number;
  /** Appended to the public key line. */
  comment?: string;
}

const CURVES: Record<EcdsaCurve, { node: string; ssh: string }> = {
  p256: { node: 'P-256', ssh: 'nistp256' },
  p384: { node: 'P-384', ssh: 'nistp384' },
  p521: { node: 'P-521', ssh: 'nistp521' },
};

/** Generates a key pair for a deploy key. */
export function generateSshKeyPair(opts: KeyOptions): SshKeyPair {
  const comment = opts.comment ?? '';
  if (opts.algorithm === 'ed25519') {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const blob = publicBlob(publicKey);
    return { privateKey: openSshEd25519(blob, privateKey, comment), publicKey: authorizedKey(blob, comment) };
  }
  if (opts.algorithm === 'rsa') {
    const bits = opts.rsaBits ?? 2048;
    if (!Number.isInteger(bits) || bits < 2048 || bits > 8192)
      throw new RangeError(`RSA key size ${bits} is not supported: use 2048 to 8192 bits`);
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
    return {
      privateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
      publicKey: authorizedKey(publicBlob(publicKey), comment),
    };
  }
  const curve = CURVES[opts.curve ?? 'p384'];
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve.node });
  return {
    privateKey: privateKey.export({ type: 'sec1', format: 'pem' }).toString(),
    publicKey: authorizedKey(publicBlob(publicKey), comment),
  };
}

/** The SSH wire encoding of a public key (RFC 4253 §6.6, RFC 5656 §3.1, RFC 8709 §4). */
export function publicBlob(key: KeyObject): Buffer {
  const jwk = key.export({ format: 'jwk' }) as JsonWebKey & { crv?: string };
  const b = (s: string | undefined): Buffer => Buffer.from(s ?? '', 'base64url');
  if (key.asymmetricKeyType === 'ed25519') return Buffer.concat([sshString('ssh-ed25519'), sshString(b(jwk.x))]);
  if (key.asymmetricKeyType === 'rsa')
    return Buffer.concat([sshString('ssh-rsa'), sshString(mpint(b(jwk.e))), sshString(mpint(b(jwk.n)))]);
  if (key.asymmetricKeyType === 'ec') {
    const curve = Object.values(CURVES).find((c) => c.node === jwk.crv);
    if (!curve) throw new Error(`the EC curve ${jwk.crv ?? '?'} has no SSH key type`);
    const point = Buffer.concat([Buffer.from([4]), b(jwk.x), b(jwk.y)]);
    return Buffer.concat([sshString(`ecdsa-sha2-${curve.ssh}`), sshString(curve.ssh), sshString(point)]);
  }
  throw new Error(`a ${key.asymmetricKeyType ?? 'symmetric'} key has no SSH key type`);
}

/** `<type> <base64>[ <comment>]\n`, the type read back from the blob. */
function authorizedKey(blob: Buffer, comment: string): string {
  return `${blobType(blob)} ${blob.toString('base64')}${comment ? ` ${comment}` : ''}\n`;
}

function blobType(blob: Buffer): string {
  return blob.subarray(4, 4 + blob.readUInt32BE(0)).toString('latin1');
}

/**
 * OpenSSH's private key format (PROTOCOL.key in OpenSSH's sources), unencrypted: the magic, cipher and KDF `none`, one
 * public key, and the private section (check integers, type, public key, seed‖public key, comment, padding to 8).
 */
function openSshEd25519(blob: Buffer, privateKey: KeyObject, comment: string): string {
  const pub = blob.subarray(blob.length - 32);
  const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d ?? '', 'base64url');
  const check = randomBytes(4);
  let section = Buffer.concat([
    check,
    check,
    sshString('ssh-ed25519'),
    sshString(pub),
    sshString(Buffer.concat([seed, pub])),
    sshString(comment),
  ]);
  const pad = (8 - (section.length % 8)) % 8;
  section = Buffer.concat([section, Buffer.from(Array.from({ length: pad }, (_, i) => i + 1))]);
  const body = Buffer.concat([
    Buffer.from('openssh-key-v1\0', 'latin1'),
    sshString('none'),
    sshString('none'),
    sshString(''),
    u32(1),
    sshString(blob),
    sshString(section),
  ]);
  const lines = body.toString('base64').match(/.{1,70}/g) ?? [];
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join('\n')}\n-----END OPENSSH PRIVATE KEY-----\n`;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

function sshString(v: string | Buffer): Buffer {
  const data = typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
  return Buffer.concat([u32(data.length), data]);
}

/** An unsigned big-endian integer as an SSH mpint: no leading zeros, one 0 byte when the top bit is set. */
function mpint(n: Buffer): Buffer {
  let i = 0;
  while (i < n.length - 1 && n[i] === 0) i++;
  const trimmed = n.subarray(i);
  return (trimmed[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed;
}

/** One host key of a `known_hosts` file. */
export interface KnownHost {
  /** The host patterns field as written (`host`, `[host]:port`, comma-separated, or a `|1|` hash). */
  hosts: string;
  type: string;
  /** Base64 of the key blob. */
  key: string;
}

/** The host key lines of a `known_hosts` text (comments, blank lines and `@revoked`/`@cert-authority` lines skipped). */
export function parseKnownHosts(text: string): KnownHost[] {
  const out: KnownHost[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('@')) continue;
    const [hosts, type, key] = line.split(/\s+/);
    if (hosts && type && key) out.push({ hosts, type, key });
  }
  return out;
}

/** The host field OpenSSH writes and looks up: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/**
 * Whether a known_hosts entry names `name` (as {@link knownHostsName} writes it): one of its comma-separated patterns
 * equals it, or it is a hashed entry (`|1|salt|hash`, `ssh-keygen -H`) of it. Wildcard and negated patterns are not
 * matched (they never come from a scan).
 */
export function namesHost(entry: KnownHost, name: string): boolean {
  const hashed = /^\|1\|([^|]+)\|([^|]+)$/.exec(entry.hosts);
  if (hashed) {
    const mac = createHmac('sha1', Buffer.from(hashed[1] ?? '', 'base64'))
      .update(name)
      .digest('base64');
    return mac === hashed[2];
  }
  return entry.hosts.split(',').includes(name);
}

/** `SHA256:<base64 without padding>`, as `ssh-keygen -lf` and OpenSSH's prompts show it. */
export function fingerprint(keyBase64: string): string {
  return `SHA256:${createHash('sha256').update(Buffer.from(keyBase64, 'base64')).digest('base64').replace(/=+$/, '')}`;
}

/** The algorithm name a user knows, from an SSH key type (`ecdsa-sha2-nistp384` → `ECDSA`). */
export function keyTypeLabel(type: string): string {
  if (type === 'ssh-ed25519') return 'ED25519';
  if (type === 'ssh-rsa') return 'RSA';
  if (type.startsWith('ecdsa-')) return 'ECDSA';
  return type;
}
