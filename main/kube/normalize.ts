import type { KubeObject } from '../util/kube-object.ts';
import { isCrd } from './apply-order.ts';

/**
 * Prepares a desired object for server-side apply, as Flux's `normalize.UnstructuredList` does: server-owned metadata
 * and status removed (except a CRD's, which kstatus reads), default port protocols filled in (otherwise SSA merges
 * `{containerPort: 80}` and `{containerPort: 80, protocol: TCP}` as two entries and reports drift forever) and Secret
 * `stringData` folded into `data`. Returns a copy; the input is not changed.
 */
export function normalizeForApply(input: KubeObject): KubeObject {
  const obj = structuredClone(input);
  const meta = obj.metadata;
  delete meta.managedFields;
  delete meta.resourceVersion;
  delete meta.uid;
  delete meta.creationTimestamp;
  delete meta.generation;
  delete meta.selfLink;
  delete meta.deletionTimestamp;
  delete meta.deletionGracePeriodSeconds;
  if (!isCrd(obj)) delete obj.status;
  const spec = obj.spec as Record<string, unknown> | undefined;
  switch (obj.kind) {
    case 'Pod':
      defaultPodPorts(spec);
      break;
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'ReplicaSet':
    case 'Job':
      defaultPodPorts(nested(spec, 'template', 'spec'));
      break;
    case 'CronJob':
      defaultPodPorts(nested(spec, 'jobTemplate', 'spec', 'template', 'spec'));
      break;
    case 'Service':
      for (const p of list(spec?.ports)) p.protocol ??= 'TCP';
      break;
    case 'Secret':
      foldStringData(obj);
      break;
  }
  return obj;
}

function nested(v: unknown, ...path: string[]): Record<string, unknown> | undefined {
  let cur = v;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>) : undefined;
}

function list(v: unknown): Record<string, unknown>[] {
  return Array.isArray(v) ? v.filter((x): x is Record<string, unknown> => x !== null && typeof x === 'object') : [];
}

function defaultPodPorts(podSpec: Record<string, unknown> | undefined): void {
  for (const c of [...list(podSpec?.containers), ...list(podSpec?.initContainers)])
    for (const p of list(c.ports)) p.protocol ??= 'TCP';
}

function foldStringData(secret: KubeObject): void {
  const stringData = secret.stringData as Record<string, string> | undefined;
  if (!stringData || Object.keys(stringData).length === 0) return;
  const data = { ...((secret.data as Record<string, string> | undefined) ?? {}) };
  for (const [k, v] of Object.entries(stringData)) data[k] = Buffer.from(v, 'utf8').toString('base64');
  secret.data = data;
  delete secret.stringData;
}
