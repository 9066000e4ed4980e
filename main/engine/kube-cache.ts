import { createWatchCache } from '../kube/watch-cache.ts';
import type { CacheFactory } from './cluster-session.ts';

/**
 * The session's caches are main/kube's watch caches (list + watch, relist on 410, stall detection, jittered resync,
 * backoff). Their connectivity becomes the session's "unreachable" / "recovered" state.
 */
export const kubeCacheFactory: CacheFactory = (client, type, hooks) => {
  const cache = createWatchCache(client, { apiVersion: type.apiVersion, kind: type.kind });
  let wasUnreachable = false;
  const off = cache.onStatus((s) => {
    if (s.state === 'unreachable') {
      wasUnreachable = true;
      hooks.onUnreachable(
        new Error(s.error?.hint ? `${s.error.message} (${s.error.hint})` : (s.error?.message ?? 'unreachable')),
      );
    } else if (s.state === 'synced' && wasUnreachable) {
      wasUnreachable = false;
      hooks.onRecovered();
    }
  });
  return {
    get: (ns, name) => cache.get(ns, name),
    list: () => cache.list(),
    subscribe: (l) => cache.subscribe(l),
    synced: () => cache.waitForSync(),
    stop: () => {
      off();
      cache.close();
    },
  };
};
