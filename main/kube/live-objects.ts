import type { KubeObject, ObjectRef } from '../util/kube-object.ts';
import { mapPool } from '../util/pool.ts';
import type { ClusterClient } from './cluster-client.ts';
import { isKubeError } from './kube-error.ts';
import type { LivePresence } from './live-presence.ts';

/** An object to read: its reference, and its apiVersion when known (else the group's preferred version). */
export interface LiveTarget {
  ref: ObjectRef;
  apiVersion?: string;
}

/** Kinds and namespaces with at least this many objects are read with one LIST instead of one GET each. */
const LIST_THRESHOLD = 4;

/**
 * Reads the live state of many objects cheaply, as kstatus' caching cluster reader does: one LIST per kind and
 * namespace where several objects share them (falling back to GETs when LIST is forbidden, e.g. for an impersonated
 * service account), GETs otherwise, at most `concurrency` at a time. Absent objects map to undefined. With a
 * `presence` index, objects it knows to be absent are not read at all.
 */
export async function readLiveObjects<T extends LiveTarget>(
  client: ClusterClient,
  targets: readonly T[],
  opts: { signal?: AbortSignal; concurrency?: number; presence?: LivePresence; trustAbsent?: (t: T) => boolean } = {},
): Promise<Map<T, KubeObject | undefined>> {
  const groups = new Map<string, T[]>();
  for (const t of targets) {
    const k = `${t.ref.group}/${t.ref.kind}/${t.ref.namespace}`;
    groups.set(k, [...(groups.get(k) ?? []), t]);
  }
  const out = new Map<T, KubeObject | undefined>();
  const singles: { target: T; apiVersion: string }[] = [];
  await Promise.all(
    [...groups.values()].map(async (all) => {
      const [first] = all;
      if (!first) return;
      const info = first.apiVersion
        ? await client.mapper.resolve(first.apiVersion, first.ref.kind)
        : await client.mapper.resolveGroupKind(first.ref.group, first.ref.kind);
      const apiVersion = info.group ? `${info.group}/${info.version}` : info.version;
      const { presence, trustAbsent } = opts;
      const group = presence
        ? all.filter((t) => {
            const absent =
              (trustAbsent?.(t) ?? true) &&
              presence.absent(
                { apiVersion, kind: info.kind },
                info.namespaced ? t.ref.namespace : undefined,
                t.ref.name,
              );
            if (absent) out.set(t, undefined);
            return !absent;
          })
        : all;
      if (group.length === 0) return;
      if (group.length >= LIST_THRESHOLD) {
        try {
          const list = await client.list(
            { apiVersion, kind: info.kind },
            { namespace: info.namespaced ? first.ref.namespace : undefined, signal: opts.signal },
          );
          const byName = new Map(list.items.map((o) => [o.metadata.name ?? '', o]));
          for (const t of group) out.set(t, byName.get(t.ref.name));
          return;
        } catch (err) {
          if (!isKubeError(err, 'Forbidden')) throw err;
        }
      }
      for (const target of group) singles.push({ target, apiVersion });
    }),
  );
  await mapPool(singles, opts.concurrency ?? 8, async ({ target, apiVersion }) => {
    const key = {
      apiVersion,
      kind: target.ref.kind,
      namespace: target.ref.namespace || undefined,
      name: target.ref.name,
    };
    out.set(target, await client.tryGet(key, { signal: opts.signal }));
  });
  return out;
}
