import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { cosignSignatureTag, loadCosignKey, verifySimpleSigning } from '../../../main/registry/index.ts';

const DIGEST = `sha256:${'ab'.repeat(32)}`;

/** A simple signing payload as `cosign sign` writes it for `digest`. */
const payload = (digest: string): Buffer =>
  Buffer.from(
    JSON.stringify({
      critical: {
        identity: { 'docker-reference': 'registry.example.com/fleet/app' },
        image: { 'docker-manifest-digest': digest },
        type: 'cosign container image signature',
      },
      optional: null,
    }),
  );

function keyPair(type: 'ec' | 'ed25519' | 'rsa'): { pub: KeyObject; signer: (data: Buffer) => string } {
  const { publicKey, privateKey } =
    type === 'ec'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : type === 'rsa'
        ? generateKeyPairSync('rsa', { modulusLength: 2048 })
        : generateKeyPairSync('ed25519');
  const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return {
    pub: loadCosignKey({ name: 'cosign.pub', pem }),
    signer: (data) => sign(type === 'ed25519' ? null : 'sha256', data, privateKey).toString('base64'),
  };
}

describe('cosign simple signing', () => {
  it('names the signature tag after the digest, as cosign stores it', () => {
    expect(cosignSignatureTag(DIGEST)).toBe(`sha256-${'ab'.repeat(32)}.sig`);
  });

  it.each(['ec', 'ed25519', 'rsa'] as const)('verifies a %s signature of a claim on the digest', (type) => {
    const { pub, signer } = keyPair(type);
    const p = payload(DIGEST);
    expect(verifySimpleSigning(p, signer(p), pub, DIGEST)).toBe(true);
  });

  it('refuses a signature by another key, a changed payload, and a claim on another digest', () => {
    const { pub, signer } = keyPair('ec');
    const other = keyPair('ec');
    const p = payload(DIGEST);
    expect(verifySimpleSigning(p, other.signer(p), pub, DIGEST)).toBe(false);
    const tampered = Buffer.from(p.toString().replace('app', 'evil'));
    expect(verifySimpleSigning(tampered, signer(p), pub, DIGEST)).toBe(false);
    const elsewhere = payload(`sha256:${'cd'.repeat(32)}`);
    expect(verifySimpleSigning(elsewhere, signer(elsewhere), pub, DIGEST)).toBe(false);
    expect(verifySimpleSigning(p, 'not base64 at all!', pub, DIGEST)).toBe(false);
  });

  it('names the Secret key that is not a PEM public key', () => {
    expect(() => loadCosignKey({ name: 'team.pub', pem: 'hello' })).toThrow(/team\.pub is not a PEM public key/);
  });
});
