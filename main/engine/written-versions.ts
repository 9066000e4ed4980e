/**
 * Read-your-writes for reconciles. A reconcile reads its object from the watch cache, and the cache hears of the
 * reconcile's own writes (status, finalizers) a moment after the apiserver answered them. A reconcile queued while
 * another one of the same object ran starts right after it, often before the cache has caught up, and would act on
 * the status from before: a HelmRelease whose history does not yet show the upgrade just made looks like a release
 * someone else made, and is upgraded again (kube-controller-manager's "expectations" exist for the same reason).
 * This remembers the resourceVersion of each write to a reconciled object, so the manager can wait for the cache to
 * reach it before the next reconcile of that object.
 */

/**
 * Whether `cached` is older than `written`. resourceVersions are opaque by contract but are etcd revisions (decimal
 * integers that only grow) in every apiserver; anything else is never called older, so nothing waits on a guess.
 */
export function olderThan(cached: string | undefined, written: string): boolean {
  if (cached === undefined) return true;
  if (!DECIMAL.test(cached) || !DECIMAL.test(written)) return false;
  return BigInt(cached) < BigInt(written);
}

const DECIMAL = /^\d+$/;

const keyOf = (kind: string, namespace: string, name: string): string => `${kind}/${namespace}/${name}`;

export class WrittenVersions {
  /** The newest resourceVersion written to each object that the cache has not been seen to reach yet. */
  private readonly written = new Map<string, string>();

  note(kind: string, namespace: string, name: string, resourceVersion: string): void {
    const key = keyOf(kind, namespace, name);
    const known = this.written.get(key);
    if (known === undefined || olderThan(known, resourceVersion)) this.written.set(key, resourceVersion);
  }

  /**
   * The written resourceVersion that `cached` (the cache's version of the object) has not reached, or undefined
   * when it has; once reached, the entry is dropped.
   */
  ahead(kind: string, namespace: string, name: string, cached: string | undefined): string | undefined {
    const key = keyOf(kind, namespace, name);
    const written = this.written.get(key);
    if (written === undefined) return undefined;
    if (olderThan(cached, written)) return written;
    this.written.delete(key);
    return undefined;
  }

  /** The object is gone: nothing to wait for. */
  forget(kind: string, namespace: string, name: string): void {
    this.written.delete(keyOf(kind, namespace, name));
  }

  get size(): number {
    return this.written.size;
  }
}
