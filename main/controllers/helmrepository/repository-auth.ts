import type { HelmRepository } from '../../flux/source.ts';
import type { RepoAuth } from '../../helm/index.ts';
import type { ClusterClient } from '../../kube/cluster-client.ts';
import { secretData } from '../../kube/secrets.ts';
import type { HttpAuth } from '../../sources/helm/http-get.ts';
import { SourceFailure } from '../source/reconcile.ts';

/**
 * A HelmRepository's credentials as source-controller's `GetClientOpts` reads them: basic auth from `secretRef`
 * (`username`/`password`), TLS from `certSecretRef` (`tls.crt`, `tls.key`, `ca.crt`) or else from `secretRef` (the
 * same keys, or the deprecated `certFile`/`keyFile`/`caFile`). Shared by the HelmRepository and HelmChart
 * controllers so a chart is downloaded with exactly the credentials the index was.
 */
export function httpAuthFrom(
  secret: Record<string, string> | undefined,
  certSecret: Record<string, string> | undefined,
): HttpAuth | undefined {
  const auth: HttpAuth = {
    ...(secret?.username !== undefined && { username: secret.username }),
    ...(secret?.password !== undefined && { password: secret.password }),
    ...tlsFrom(certSecret ?? secret ?? {}, certSecret === undefined),
  };
  return Object.keys(auth).length > 0 ? auth : undefined;
}

/** TLS keys of a Secret; the deprecated `caFile`/`certFile`/`keyFile` only count in `secretRef` (`legacy`). */
function tlsFrom(tls: Record<string, string>, legacy: boolean): Partial<HttpAuth> {
  const key = (modern: string, old: string): string | undefined => tls[modern] ?? (legacy ? tls[old] : undefined);
  return {
    ...pick('caPEM', key('ca.crt', 'caFile')),
    ...pick('certPEM', key('tls.crt', 'certFile')),
    ...pick('keyPEM', key('tls.key', 'keyFile')),
  };
}

const pick = <K extends string>(k: K, v: string | undefined): Partial<Record<K, string>> =>
  (v !== undefined && v !== '' ? { [k]: v } : {}) as Partial<Record<K, string>>;

/** The same credentials in the Helm helper's terms (OCI pulls), with Flux's `insecure` as plain HTTP. */
export function repoAuthFrom(repo: HelmRepository, auth: HttpAuth | undefined): RepoAuth {
  return {
    ...auth,
    ...(repo.spec.passCredentials && { passCredentials: true }),
    ...(repo.spec.insecure && { plainHTTP: true }),
  };
}

async function requiredSecret(
  client: ClusterClient,
  namespace: string,
  name: string,
  signal: AbortSignal,
): Promise<Record<string, string>> {
  const what = `failed to get secret '${namespace}/${name}'`;
  let data: Record<string, string> | undefined;
  try {
    data = await secretData(client, namespace, name, signal);
  } catch (err) {
    throw new SourceFailure('FetchFailed', 'AuthenticationFailed', `${what}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (!data) throw new SourceFailure('FetchFailed', 'AuthenticationFailed', `${what}: secrets "${name}" not found`);
  return data;
}

/** Reads the repository's Secrets; a missing one is AuthenticationFailed, as in Flux. */
export async function repositoryAuth(
  client: ClusterClient,
  repo: HelmRepository,
  signal: AbortSignal,
): Promise<HttpAuth | undefined> {
  const ns = repo.metadata.namespace ?? '';
  const secret = repo.spec.secretRef ? await requiredSecret(client, ns, repo.spec.secretRef.name, signal) : undefined;
  const cert = repo.spec.certSecretRef
    ? await requiredSecret(client, ns, repo.spec.certSecretRef.name, signal)
    : undefined;
  return httpAuthFrom(secret, cert);
}
