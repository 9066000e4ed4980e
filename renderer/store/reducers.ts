/**
 * Pure reducers for what main pushes (style guide practice 10): objects keyed by `metadata.uid`, and an update older
 * than what the store holds (by resourceVersion) ignored, so a delta that arrives after a fresher snapshot cannot
 * roll an object back. Every function returns the same reference when nothing changed, so selectors stay quiet.
 */
import type {
  ActionProgress,
  ClusterInfo,
  FluxObject,
  GraphDelta,
  GraphSnapshot,
  Workload,
} from '../../main/contract/index.ts';

/**
 * True if `incoming` may replace `current`. resourceVersions are opaque strings by contract, but the apiserver's are
 * etcd revisions (decimal, increasing per object); compare numerically when both are, and accept anything otherwise.
 */
export function isNewer(incoming: string, current: string): boolean {
  if (/^\d+$/.test(incoming) && /^\d+$/.test(current)) {
    return incoming.length !== current.length ? incoming.length > current.length : incoming > current;
  }
  return incoming !== current;
}

interface Versioned {
  uid: string;
  resourceVersion: string;
}

export function upsertAll<T extends Versioned>(map: Record<string, T>, items: readonly T[]): Record<string, T> {
  let out: Record<string, T> | undefined;
  for (const item of items) {
    const current = (out ?? map)[item.uid];
    if (current && !isNewer(item.resourceVersion, current.resourceVersion)) continue;
    out ??= { ...map };
    out[item.uid] = item;
  }
  return out ?? map;
}

export function removeAll<T>(map: Record<string, T>, uids: readonly string[]): Record<string, T> {
  if (!uids.some((uid) => uid in map)) return map;
  const gone = new Set(uids);
  const out: Record<string, T> = {};
  for (const [uid, value] of Object.entries(map)) if (!gone.has(uid)) out[uid] = value;
  return out;
}

export interface GraphData {
  objects: Record<string, FluxObject>;
  workloads: Record<string, Workload>;
}

export function applyDelta(state: GraphData, delta: GraphDelta): GraphData {
  const goneObjects = delta.removed.filter((r) => r.what === 'object').map((r) => r.uid);
  const goneWorkloads = delta.removed.filter((r) => r.what === 'workload').map((r) => r.uid);
  const objects = removeAll(upsertAll(state.objects, delta.objects), goneObjects);
  const workloads = removeAll(upsertAll(state.workloads, delta.workloads), goneWorkloads);
  return objects === state.objects && workloads === state.workloads ? state : { objects, workloads };
}

/**
 * Replaces the state with a snapshot. Objects the store already has in a newer version (a delta that overtook the
 * snapshot) keep that version.
 */
export function applySnapshot(state: GraphData, snap: GraphSnapshot): GraphData {
  const keepNewer = <T extends Versioned>(current: Record<string, T>, items: T[]): Record<string, T> => {
    const out: Record<string, T> = {};
    for (const item of items) {
      const have = current[item.uid];
      out[item.uid] = have && isNewer(have.resourceVersion, item.resourceVersion) ? have : item;
    }
    return out;
  };
  return { objects: keepNewer(state.objects, snap.objects), workloads: keepNewer(state.workloads, snap.workloads) };
}

/** Drops everything of a cluster (it was disconnected). */
export function dropCluster(state: GraphData, cluster: string): GraphData {
  const keep = <T extends { cluster: string }>(map: Record<string, T>): Record<string, T> => {
    const gone = Object.keys(map).filter((uid) => map[uid]?.cluster === cluster);
    return removeAll(map, gone);
  };
  const objects = keep(state.objects);
  const workloads = keep(state.workloads);
  return objects === state.objects && workloads === state.workloads ? state : { objects, workloads };
}

export function applyClusters(
  map: Record<string, ClusterInfo>,
  infos: readonly ClusterInfo[],
): Record<string, ClusterInfo> {
  if (infos.length === 0) return map;
  const out = { ...map };
  for (const info of infos) out[info.name] = info;
  return out;
}

/** Contexts in display order: the kubeconfig's current context first, then by name. */
export function orderClusters(map: Record<string, ClusterInfo>): string[] {
  return Object.values(map)
    .sort((a, b) => Number(b.current) - Number(a.current) || a.name.localeCompare(b.name))
    .map((c) => c.name);
}

export interface ActionState {
  actionId: string;
  nodeId: string;
  label: string;
  phase: ActionProgress['phase'];
  message: string;
  startedAt: number;
  finishedAt?: number;
  ok?: boolean;
}

/** Applies a progress event to the action it belongs to; events of actions this window did not start are kept too. */
export function applyProgress(
  actions: Record<string, ActionState>,
  p: ActionProgress,
  nodeId: string,
  now: number,
): Record<string, ActionState> {
  const current = actions[p.actionId];
  if (current?.finishedAt !== undefined) return actions;
  const done = p.phase === 'succeeded' || p.phase === 'failed';
  const next: ActionState = {
    actionId: p.actionId,
    nodeId,
    label: current?.label ?? `${p.key.kind} ${p.key.name}`,
    phase: p.phase,
    message: p.message,
    startedAt: current?.startedAt ?? now,
    ...(done && { finishedAt: now, ok: p.phase === 'succeeded' }),
  };
  return { ...actions, [p.actionId]: next };
}

/** Keeps the last `max` finished actions (and every running one). */
export function pruneActions(actions: Record<string, ActionState>, max = 50): Record<string, ActionState> {
  const finished = Object.values(actions)
    .filter((a) => a.finishedAt !== undefined)
    .sort((a, b) => (b.finishedAt ?? 0) - (a.finishedAt ?? 0));
  if (finished.length <= max) return actions;
  return removeAll(
    actions,
    finished.slice(max).map((a) => a.actionId),
  );
}
