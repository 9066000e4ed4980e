import { FLUX_FINALIZER } from '../flux/meta.ts';
import type { ClusterClient } from '../kube/cluster-client.ts';
import { errorChain } from '../util/errors.ts';
import type { KubeObject } from '../util/kube-object.ts';

/**
 * Writing status and finalizers the way Flux's patch helper does: only what changed goes out (an unchanged status is
 * not written at all, so periodic no-op reconciles do not wake every watcher), and a field that disappeared is
 * removed explicitly (a JSON merge patch keeps keys it is not told to delete).
 */

/** A JSON merge patch turning `before` into `after` (objects recursively; arrays and scalars replaced whole). */
export function mergePatch(before: unknown, after: unknown): unknown {
  if (!isMap(before) || !isMap(after)) return after;
  const patch: Record<string, unknown> = {};
  for (const key of Object.keys(before)) if (!(key in after) || after[key] === undefined) patch[key] = null;
  for (const [key, value] of Object.entries(after)) {
    if (value === undefined) continue;
    if (!(key in before)) patch[key] = value;
    else if (!deepEqual(before[key], value)) patch[key] = mergePatch(before[key], value);
  }
  return patch;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isMap(a) && isMap(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

const keyOf = (obj: KubeObject): { apiVersion: string; kind: string; namespace: string; name: string } => ({
  apiVersion: obj.apiVersion,
  kind: obj.kind,
  namespace: obj.metadata.namespace ?? '',
  name: obj.metadata.name ?? '',
});

/**
 * Writes `status` over what `obj` had. Successive writes within one reconcile pass the status they last wrote, so
 * only the difference goes out each time.
 */
export class StatusWriter<S> {
  private last: unknown;
  private readonly client: ClusterClient;
  private readonly obj: KubeObject;
  private readonly fieldManager: string;

  constructor(client: ClusterClient, obj: KubeObject & { status?: S }, fieldManager: string) {
    this.client = client;
    this.obj = obj;
    this.fieldManager = fieldManager;
    this.last = obj.status;
  }

  async write(status: S): Promise<void> {
    const patch = mergePatch(this.last ?? {}, status);
    if (isMap(patch) && Object.keys(patch).length === 0) return;
    await this.client.patchStatus(keyOf(this.obj), { status: patch }, { fieldManager: this.fieldManager });
    this.last = structuredClone(status);
  }
}

/**
 * Adds or removes Flux's finalizer. The patch carries the resourceVersion it was computed from, so a concurrent
 * change to the finalizer list fails with a conflict (and the reconcile retries) instead of dropping someone's entry.
 */
export async function setFinalizer(
  client: ClusterClient,
  obj: KubeObject,
  present: boolean,
  fieldManager: string,
): Promise<void> {
  const list = obj.metadata.finalizers ?? [];
  const has = list.includes(FLUX_FINALIZER);
  if (has === present) return;
  const finalizers = present ? [...list, FLUX_FINALIZER] : list.filter((f) => f !== FLUX_FINALIZER);
  await client.patch(keyOf(obj), { metadata: { finalizers, resourceVersion: obj.metadata.resourceVersion } }, 'merge', {
    fieldManager,
  });
}

/**
 * Writes the status of a failed attempt. Undefined when written; when the write fails too, an error that says both,
 * so the log shows the failure even though the object could not.
 */
export async function writeFailureStatus(write: () => Promise<void>, failure: string): Promise<Error | undefined> {
  try {
    await write();
    return undefined;
  } catch (err) {
    return new Error(`${failure}; and the status could not be written: ${errorChain(err)}`, { cause: err });
  }
}
