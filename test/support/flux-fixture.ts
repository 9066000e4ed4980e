import { setTimeout as sleep } from 'node:timers/promises';

import { installFluxCrds } from '../../main/controllers/crds/install-flux-crds.ts';
import { fluxKinds } from '../../main/flux/kinds.ts';
import type { Kustomization } from '../../main/flux/kustomize.ts';
import type { Condition } from '../../main/flux/meta.ts';
import type { GitRepository } from '../../main/flux/source.ts';
import { type ClusterClient, openCluster } from '../../main/kube/cluster-client.ts';
import { loadKubeconfig } from '../../main/kube/kubeconfig.ts';
import type { KubeObject } from '../../main/util/kube-object.ts';

/** A client for a test cluster's kubeconfig (its current context unless named). */
export async function clientFor(kubeconfig: string, context?: string): Promise<ClusterClient> {
  const { config } = await loadKubeconfig([kubeconfig]);
  return openCluster(context, { kubeconfig: config });
}

/** Installs Fluxdeck's Flux CRDs and fails loudly if any did not install. */
export async function installCrds(client: ClusterClient): Promise<void> {
  const results = await installFluxCrds(client);
  const failed = results.filter((r) => r.action === 'failed');
  if (failed.length > 0)
    throw new Error(`CRD install failed: ${failed.map((f) => `${f.name}: ${f.error?.message ?? ''}`).join('; ')}`);
  client.mapper.invalidate();
}

export async function ensureNamespace(client: ClusterClient, name: string): Promise<void> {
  await client.apply(
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
    { fieldManager: 'test', force: true },
  );
}

export function gitRepository(
  namespace: string,
  name: string,
  url: string,
  spec: Partial<GitRepository['spec']> = {},
): GitRepository {
  return {
    apiVersion: fluxKinds.GitRepository.apiVersion,
    kind: 'GitRepository',
    metadata: { name, namespace },
    spec: { url, interval: '1m', ref: { branch: 'main' }, ...spec },
  };
}

export function kustomization(
  namespace: string,
  name: string,
  source: string,
  spec: Partial<Kustomization['spec']> = {},
): Kustomization {
  return {
    apiVersion: fluxKinds.Kustomization.apiVersion,
    kind: 'Kustomization',
    metadata: { name, namespace },
    spec: { interval: '10m', prune: true, path: './', sourceRef: { kind: 'GitRepository', name: source }, ...spec },
  };
}

/** Polls until `fn` returns a value (not undefined), or fails naming what it waited for and the last value seen. */
export async function eventually<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs = 60_000,
  describeLast?: () => Promise<string>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs / 1000}s waiting for ${what}${describeLast ? `; last seen: ${await describeLast()}` : ''}`,
      );
    await sleep(250);
  }
}

export function readyOf(obj: KubeObject | undefined): Condition | undefined {
  return ((obj?.status as { conditions?: Condition[] } | undefined)?.conditions ?? []).find((c) => c.type === 'Ready');
}

/** Waits for a Flux object's Ready condition to satisfy `test`, returning the object. */
export async function waitForReady<T extends KubeObject>(
  client: ClusterClient,
  kind: { apiVersion: string; kind: string },
  namespace: string,
  name: string,
  test: (ready: Condition, obj: T) => boolean,
  timeoutMs = 90_000,
): Promise<T> {
  let last: T | undefined;
  return eventually(
    `${kind.kind} ${namespace}/${name}`,
    async () => {
      last = await client.tryGet<T>({ ...kind, namespace, name });
      const ready = readyOf(last);
      return last && ready && test(ready, last) ? last : undefined;
    },
    timeoutMs,
    () =>
      Promise.resolve(
        JSON.stringify((last?.status as { conditions?: unknown } | undefined)?.conditions ?? 'no status'),
      ),
  );
}
