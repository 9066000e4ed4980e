/**
 * Signs a manifest the way `cosign sign --key` (cosign v2) stores a signature: a "simple signing" payload naming the
 * digest, signed with ECDSA P-256 over SHA-256, pushed as the one layer of an image manifest tagged
 * `sha256-<hex>.sig`, the signature in the `dev.cosignproject.cosign/signature` annotation.
 */
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';

import {
  COSIGN_SIGNATURE_ANNOTATION,
  COSIGN_SIMPLE_SIGNING,
  cosignSignatureTag,
  MediaType,
  RegistryClient,
} from '../../main/registry/index.ts';

export function cosignKeyPair(): { publicPem: string; privateKey: KeyObject } {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), privateKey };
}

export async function signLikeCosign(
  registry: string,
  repository: string,
  digest: string,
  privateKey: KeyObject,
): Promise<void> {
  const payload = Buffer.from(
    JSON.stringify({
      critical: {
        identity: { 'docker-reference': `${registry}/${repository}` },
        image: { 'docker-manifest-digest': digest },
        type: 'cosign container image signature',
      },
      optional: null,
    }),
  );
  const signature = sign('sha256', payload, privateKey).toString('base64');
  const client = new RegistryClient(registry, { plainHttp: true });
  try {
    const config = await client.pushBlob(repository, Buffer.from('{}'), {
      mediaType: 'application/vnd.oci.image.config.v1+json',
    });
    const layer = await client.pushBlob(repository, payload, { mediaType: COSIGN_SIMPLE_SIGNING });
    const manifest = {
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config,
      layers: [{ ...layer, annotations: { [COSIGN_SIGNATURE_ANNOTATION]: signature } }],
    };
    await client.putManifest(
      repository,
      cosignSignatureTag(digest),
      Buffer.from(JSON.stringify(manifest)),
      MediaType.OciManifest,
    );
  } finally {
    client.close();
  }
}
