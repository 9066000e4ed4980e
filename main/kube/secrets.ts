import type { KubeObject } from '../util/kube-object.ts';
import type { ClusterClient } from './cluster-client.ts';

/** A Secret as read from the apiserver: `data` values are base64. */
export type SecretObject = KubeObject & { data?: Record<string, string> };

/** The decoded data of a Secret (UTF-8), or undefined when it does not exist. */
export async function secretData(
  client: ClusterClient,
  namespace: string,
  name: string,
  signal: AbortSignal,
): Promise<Record<string, string> | undefined> {
  const secret = await client.tryGet<SecretObject>({ apiVersion: 'v1', kind: 'Secret', namespace, name }, { signal });
  return secret && decodeSecretData(secret);
}

export function decodeSecretData(secret: SecretObject): Record<string, string> {
  return Object.fromEntries(
    Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
  );
}
