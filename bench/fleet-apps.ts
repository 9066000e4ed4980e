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
  // When each was first seen Ready, for the spread of Ready times; and whether each is Ready now.
  const readyAt = new Map<string, number>();
  const readyNow = new Set<string>();
  // Why each one that is not Ready is not, for the timeout's message: a bench that gives up should say what it saw.
  const why = new Map<string, string>();
  const see = (k: Kustomization): void => {
    const name = k.metadata.name ?? '';
    if (!want.has(name)) return;
    if (isReady(k.status?.conditions) && k.status?.observedGeneration === k.metadata.generation) {
      readyNow.add(name);
      why.delete(name);
      if (!readyAt.has(name)) readyAt.set(name, performance.now());
    } else {
      readyNow.delete(name);
      const ready = k.status?.conditions?.find((c) => c.type === 'Ready');
      why.set(name, ready ? `${ready.reason}: ${ready.message}` : 'no Ready condition yet');
    }
  };
  // One list, then a watch from it: polling lists of 1,000 Kustomizations (with their inventories) every 200 ms loaded
  // the apiserver under test and filled this process's heap, which the loop bench counts as the engine's memory.
  for (;;) {
    const list = await client.list<Kustomization>(KS, { namespace });
    readyNow.clear();
    for (const k of list.items) see(k);
    if (readyNow.size === want.size) return readyAt;
    const left = deadline - Date.now();
    if (left <= 0) {
      const waiting = names.filter((n) => !readyNow.has(n));
      const sample = waiting.slice(0, 5).map((n) => `\n  ${n}: ${why.get(n) ?? 'not found'}`);
      throw new Error(
        `only ${readyNow.size} of ${want.size} Kustomizations became Ready within ${timeoutMs / 1000}s:${sample.join('')}`,
      );
    }
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(), left);
    await client
      .watch<Kustomization>(
        KS,
        { namespace, resourceVersion: list.metadata.resourceVersion, timeoutSeconds: 60, signal: stop.signal },
        (e) => {
          if (e.type === 'ADDED' || e.type === 'MODIFIED') see(e.object);
          if (e.type === 'DELETED') readyNow.delete(e.object.metadata.name ?? '');
          if (readyNow.size === want.size) stop.abort();
        },
      )
      // An ended, expired (410) or aborted watch: the next list says where things stand.
      .catch(() => undefined)
      .finally(() => clearTimeout(timer));
  }
}
