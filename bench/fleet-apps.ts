// The fleet both `bench loop` and `bench flux` reconcile: apps of five objects as Flux's own benchmark shapes them,
// and the wait for a set of Kustomizations to become Ready (with when each did, for the spread of Ready times).
import { isReady } from '../main/flux/conditions.ts';
import { fluxKinds } from '../main/flux/kinds.ts';
import type { Kustomization } from '../main/flux/kustomize.ts';
import type { ClusterClient } from '../main/kube/cluster-client.ts';

const KS = { apiVersion: fluxKinds.Kustomization.apiVersion, kind: 'Kustomization' };

/** One app as Flux's own benchmark shapes it: Deployment scaled to 0, ServiceAccount, Service, plus config. */
export function app(name: string, ns: string, rev: string): Record<string, string> {
  return {
    'deploy.yaml': `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\n  namespace: ${ns}\nspec:\n  replicas: 0\n  selector:\n    matchLabels: { app: ${name} }\n  template:\n    metadata:\n      labels: { app: ${name} }\n      annotations: { rev: "${rev}" }\n    spec:\n      serviceAccountName: ${name}\n      containers:\n        - name: app\n          image: ghcr.io/stefanprodan/podinfo:6.7.0\n`,
    'sa.yaml': `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: ${name}\n  namespace: ${ns}\n`,
    'svc.yaml': `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\n  namespace: ${ns}\nspec:\n  clusterIP: None\n  selector: { app: ${name} }\n  ports:\n    - port: 80\n`,
    'config.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${ns}\ndata:\n  rev: "${rev}"\n`,
    'secret.yaml': `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${name}\n  namespace: ${ns}\nstringData:\n  token: "${rev}"\n`,
  };
}

/** 50 objects: ten apps of five. */
export function bigApp(rev: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 0; i < 10; i++)
    for (const [f, c] of Object.entries(app(`lat-${i}`, 'latency', rev))) files[`single/${i}-${f}`] = c;
  return files;
}

export async function waitAllReady(
  client: ClusterClient,
  names: string[],
  timeoutMs: number,
  namespace = 'flux-system',
): Promise<Map<string, number>> {
  const want = new Set(names);
  const deadline = Date.now() + timeoutMs;
  // When each was first seen Ready (polled every 200 ms), for the spread of Ready times.
  const readyAt = new Map<string, number>();
  for (;;) {
    const list = await client.list<Kustomization>(KS, { namespace });
    const ready = list.items.filter(
      (k) =>
        want.has(k.metadata.name ?? '') &&
        isReady(k.status?.conditions) &&
        k.status?.observedGeneration === k.metadata.generation,
    );
    for (const k of ready)
      if (!readyAt.has(k.metadata.name ?? '')) readyAt.set(k.metadata.name ?? '', performance.now());
    if (ready.length === want.size) return readyAt;
    if (Date.now() > deadline)
      throw new Error(`only ${ready.length} of ${want.size} Kustomizations became Ready within ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
