import type { ClusterClient } from './cluster-client.ts';
import { createWatchCache, type WatchCache } from './watch-cache.ts';

/**
 * Which objects exist in a cluster, per kind, from metadata-only watch caches: how an apply learns that an object is
 * absent without a GET that answers 404. A first apply of N new objects then costs N requests (the applies), where a
 * live read per object doubled it (issue 20, goal 3).
 *
 * It answers only "absent, as of a synced cache"; everything else is "unknown" and the caller reads the object as
 * before. The cache of a kind starts on the first question about it, so the first reconciles of a kind read as
 * before while it lists. An object created a moment ago by someone else may still look absent: the apply that follows
 * is a server-side apply all the same (it updates what exists), only reported as created and not dry-run first.
 *
 * One per cluster session; `stop` closes every watch.
 */
export class LivePresence {
  readonly #client: ClusterClient;
  readonly #caches = new Map<string, WatchCache>();
  /** Kinds the client may not list cluster-wide: never asked again. */
  readonly #refused = new Set<string>();
  #stopped = false;

  constructor(client: ClusterClient) {
    this.#client = client;
  }

  /** True only when the kind's metadata cache is synced and holds no such object. */
  absent(type: { apiVersion: string; kind: string }, namespace: string | undefined, name: string): boolean {
    const cache = this.#cache(type);
    return cache !== undefined && cache.synced && cache.get(namespace ?? '', name) === undefined;
  }

  /** Caches running, by `apiVersion/kind`: for stats and tests. */
  get kinds(): string[] {
    return [...this.#caches.keys()];
  }

  stop(): void {
    this.#stopped = true;
    for (const c of this.#caches.values()) c.close();
    this.#caches.clear();
  }

  #cache(type: { apiVersion: string; kind: string }): WatchCache | undefined {
    const key = `${type.apiVersion}/${type.kind}`;
    if (this.#stopped || this.#refused.has(key)) return undefined;
    let cache = this.#caches.get(key);
    if (!cache) {
      const created = createWatchCache(this.#client, { ...type, metadataOnly: true });
      // A kind the client may not list cluster-wide (RBAC) stays "unknown": reads go on as before, and the cache
      // stops instead of retrying a refusal for ever.
      created.onStatus((s) => {
        if (s.state === 'unreachable' && s.error?.reason === 'Forbidden') {
          this.#refused.add(key);
          this.#caches.delete(key);
          created.close();
        }
      });
      this.#caches.set(key, created);
      cache = created;
    }
    return cache;
  }
}
