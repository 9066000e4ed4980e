/**
 * Cosign signatures verified with public keys, as source-controller verifies `spec.verify.provider: cosign` with a
 * `secretRef` (offline, no transparency log: its verifier sets Offline and IgnoreTlog when keys are given). A cosign v2
 * signature lives in the same repository under the tag `sha256-<hex>.sig`: an image manifest whose layers are
 * "simple signing" payloads naming the signed manifest's digest, each with its signature in an annotation. A
 * signature counts when one layer's payload verifies with one of the keys and names the digest being pulled.
 *
 * Keyless signatures (Fulcio certificates, Rekor entries) and cosign v3 bundles need the public Sigstore services or
 * the referrers API and are not verified here; the caller says so rather than passing them.
 */
import { createPublicKey, type KeyObject, verify } from 'node:crypto';

import type { RegistryClient } from './client.ts';
import { RegistryError } from './errors.ts';

export const COSIGN_SIMPLE_SIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const COSIGN_SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
/** A payload is a few hundred bytes; anything far larger is not a signature. */
const MAX_PAYLOAD_BYTES = 64 * 1024;

/** `sha256:<hex>` → `sha256-<hex>.sig`, where cosign stores a manifest's signatures. */
export function cosignSignatureTag(digest: string): string {
  return `${digest.replace(':', '-')}.sig`;
}

export interface CosignKey {
  /** Where it came from, e.g. the Secret key `cosign.pub`. */
  name: string;
  pem: string;
}

/** A PEM public key (PKIX: ECDSA, RSA or Ed25519), or an error naming the key. */
export function loadCosignKey(key: CosignKey): KeyObject {
  try {
    return createPublicKey(key.pem);
  } catch (err) {
    throw new RegistryError('invalid', `${key.name} is not a PEM public key: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/**
 * True when `signature` (base64, as the annotation holds it) signs `payload` with `key`, and the payload is a simple
 * signing claim on `digest`.
 */
export function verifySimpleSigning(payload: Buffer, signature: string, key: KeyObject, digest: string): boolean {
  let sig: Buffer;
  try {
    sig = Buffer.from(signature, 'base64');
  } catch {
    return false;
  }
  // Ed25519 signs the message itself; ECDSA (DER-encoded, cosign's format) and RSA PKCS#1 v1.5 sign its SHA-256.
  const algorithm = key.asymmetricKeyType === 'ed25519' ? null : 'sha256';
  try {
    if (!verify(algorithm, payload, key, sig)) return false;
  } catch {
    return false;
  }
  return claimedDigest(payload) === digest;
}

function claimedDigest(payload: Buffer): string | undefined {
  try {
    const claim = JSON.parse(payload.toString('utf8')) as {
      critical?: { image?: { 'docker-manifest-digest'?: unknown } };
    };
    const d = claim.critical?.image?.['docker-manifest-digest'];
    return typeof d === 'string' ? d : undefined;
  } catch {
    return undefined;
  }
}

export type CosignVerdict =
  | { verified: true; key: string }
  /** `unsigned`: there is no signature tag at all; `mismatch`: signatures exist, none verifies with the keys. */
  | { verified: false; why: 'unsigned' | 'mismatch' };

/** Looks up the signatures of `digest` in `repository` and checks them against `keys` (any one suffices). */
export async function verifyCosignSignatures(
  client: RegistryClient,
  repository: string,
  digest: string,
  keys: readonly CosignKey[],
): Promise<CosignVerdict> {
  const loaded = keys.map((k) => ({ name: k.name, key: loadCosignKey(k) }));
  let manifest;
  try {
    ({ manifest } = await client.manifest(repository, cosignSignatureTag(digest)));
  } catch (err) {
    if (err instanceof RegistryError && err.code === 'not-found') return { verified: false, why: 'unsigned' };
    throw err;
  }
  if (manifest.kind !== 'manifest') return { verified: false, why: 'mismatch' };
  for (const layer of manifest.layers) {
    const signature = layer.annotations?.[COSIGN_SIGNATURE_ANNOTATION];
    if (layer.mediaType !== COSIGN_SIMPLE_SIGNING || !signature) continue;
    const payload = await client.blobBytes(repository, layer, { maxBytes: MAX_PAYLOAD_BYTES });
    const by = loaded.find((k) => verifySimpleSigning(payload, signature, k.key, digest));
    if (by) return { verified: true, key: by.name };
  }
  return { verified: false, why: 'mismatch' };
}
