/**
 * The graph as a pure function of the store: sources → Flux objects (Kustomizations, HelmReleases, ...) → the
 * workloads in their inventories (for a HelmRelease, which has none, the workloads its release made, by
 * helm-controller's origin labels), plus `dependsOn` edges, for one cluster or all of them. Search and status filters
 * keep what matches plus everything upstream of it (its sources, parents and dependencies), so a match is never shown
 * without its context. Nodes come out sorted, so equal input gives equal output.
 */
import type { FluxObject, Workload } from '../../../main/contract/index.ts';
import { LabelSelectorError, selectsLabels } from '../../../main/contract/label-selector.ts';
import { nodeIdOf } from '../../store/ids.ts';
import type { StatusFilter } from '../../store/slices/ui.ts';
import { pushTo } from './collections.ts';

export type NodeRole = 'source' | 'flux' | 'leaf' | 'more';
export type { NodeStatus } from '../../ui/node-status.ts';
import type { NodeStatus } from '../../ui/node-status.ts';
export type EdgeRole = 'source' | 'inventory' | 'depends';

export interface GraphNode {
  id: string;
  role: NodeRole;
  cluster: string;
  group: string;
  kind: string;
  namespace: string;
  name: string;
  status: NodeStatus;
  /** Work in progress: Reconciling, or an action on it has not finished. */
  reconciling: boolean;
  suspended: boolean;
  /** The second line: a short revision, a health message, replicas. */
  detail: string;
  /** The full failure or progress message, for the tooltip. */
  message?: string;
  /** Inventory size (Flux objects) or folded objects ('more' nodes). */
  childCount: number;
  collapsed: boolean;
  /** Leaves and 'more' nodes: the Flux node whose inventory they are in (the layout packs them beside it). */
  owner?: string;
  /** Matched the search or filter (the others are context). */
  match: boolean;
}

export interface GraphEdge {
  id: string;
  source: string;
  target: string;
  role: EdgeRole;
}

export interface Projection {
  nodes: GraphNode[];
  edges: GraphEdge[];
  /** Nodes before search and filter. */
  total: number;
  matched: number;
}

export interface ProjectionInput {
  objects: Record<string, FluxObject>;
  workloads: Record<string, Workload>;
  /** 'all' or one context name. */
  scope: string;
  search: string;
  statusFilter: StatusFilter;
  collapsed: Record<string, true>;
  showAllKinds: boolean;
  /** Node ids with an action in flight. */
  busy: ReadonlySet<string>;
}

const SOURCE_KINDS = new Set([
  'GitRepository',
  'OCIRepository',
  'HelmRepository',
  'HelmChart',
  'Bucket',
  'ImageRepository',
]);
/** Notification objects have no place in a sources → workloads graph. */
const HIDDEN_KINDS = new Set(['Alert', 'Provider']);
export const WORKLOAD_KINDS = new Set([
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'Job',
  'CronJob',
  'Pod',
]);

const ROLE_ORDER: Record<NodeRole, number> = { source: 0, flux: 1, leaf: 2, more: 3 };

/** `main@sha1:0a1b2c3d4e5f…` → `main@0a1b2c3`; `sha256:abcdef…` → `sha256:abcdef1`. */
export function shortRevision(rev: string | undefined): string {
  if (!rev) return '';
  const m = /^(.*?)@?(sha1|sha256):([0-9a-f]+)$/.exec(rev);
  if (!m) return rev.length > 40 ? `${rev.slice(0, 39)}…` : rev;
  const [, ref, algo, hash] = m as unknown as [string, string, string, string];
  return ref ? `${ref}@${hash.slice(0, 7)}` : `${algo}:${hash.slice(0, 7)}`;
}

/** kstatus health as a node status (shared by the graph and the object panel). */
export const HEALTH_STATUS: Record<Workload['health'], NodeStatus> = {
  Current: 'ready',
  InProgress: 'progressing',
  Failed: 'failed',
  Terminating: 'progressing',
  NotFound: 'missing',
  Unknown: 'unknown',
};

function fluxNode(o: FluxObject, input: ProjectionInput, id: string): GraphNode {
  const failing = o.state.status === 'failed';
  // A HelmRelease records no applied revision, only the chart version it last attempted.
  const revision = shortRevision(
    o.revision.lastApplied ?? o.revision.artifact ?? (o.kind === 'HelmRelease' ? o.revision.lastAttempted : undefined),
  );
  return {
    id,
    role: SOURCE_KINDS.has(o.kind) ? 'source' : 'flux',
    cluster: o.cluster,
    group: o.group,
    kind: o.kind,
    namespace: o.namespace,
    name: o.name,
    status: o.state.status,
    reconciling: o.state.reconciling || input.busy.has(id),
    suspended: o.suspended,
    detail: failing ? (o.state.reason ?? 'Failed') : revision || (o.state.reason ?? ''),
    ...(o.state.message !== undefined && { message: o.state.message }),
    childCount: o.inventory?.length ?? 0,
    collapsed: input.collapsed[id] === true,
    match: true,
  };
}

function leafNode(
  ref: { cluster: string; group: string; kind: string; namespace: string; name: string },
  owner: string,
  w: Workload | undefined,
  input: ProjectionInput,
): GraphNode {
  const id = nodeIdOf(ref);
  const replicas = w?.replicas ? `${w.replicas.ready}/${w.replicas.desired} ready` : '';
  return {
    id,
    role: 'leaf',
    ...ref,
    status: w ? HEALTH_STATUS[w.health] : 'unknown',
    reconciling: input.busy.has(id),
    suspended: false,
    detail: w ? (w.health === 'Current' ? replicas || 'Current' : w.message || w.health) : '',
    ...(w?.message && { message: w.message }),
    childCount: 0,
    collapsed: false,
    owner,
    match: true,
  };
}

interface Built {
  nodes: Map<string, GraphNode>;
  edges: Map<string, GraphEdge>;
}

function addEdge(b: Built, source: string, target: string, role: EdgeRole): void {
  const id = `${role}:${source}->${target}`;
  b.edges.set(id, { id, source, target, role });
}

/** A placeholder for a reference that points at nothing (a typo, a deleted source): worth showing, in red. */
function missingNode(ref: {
  cluster: string;
  group: string;
  kind: string;
  namespace: string;
  name: string;
}): GraphNode {
  return {
    id: nodeIdOf(ref),
    role: SOURCE_KINDS.has(ref.kind) ? 'source' : 'flux',
    ...ref,
    status: 'missing',
    reconciling: false,
    suspended: false,
    detail: 'not found',
    message: `${ref.kind} ${ref.namespace}/${ref.name} does not exist in ${ref.cluster}`,
    childCount: 0,
    collapsed: false,
    match: true,
  };
}

function build(input: ProjectionInput): Built {
  const b: Built = { nodes: new Map(), edges: new Map() };
  const inScope = (cluster: string): boolean => input.scope === 'all' || input.scope === cluster;
  const workloadsById = new Map<string, Workload>();
  for (const w of Object.values(input.workloads)) if (inScope(w.cluster)) workloadsById.set(nodeIdOf(w), w);
  const flux = new Map<string, FluxObject>();
  for (const o of Object.values(input.objects))
    if (inScope(o.cluster) && !HIDDEN_KINDS.has(o.kind)) flux.set(nodeIdOf(o), o);
  for (const [id, o] of flux) b.nodes.set(id, fluxNode(o, input, id));
  const released = releaseWorkloads(workloadsById.values());

  for (const [id, o] of flux) {
    if (o.sourceRef) {
      const ref = { cluster: o.cluster, ...o.sourceRef, namespace: o.sourceRef.namespace || o.namespace };
      const srcId = nodeIdOf(ref);
      if (!b.nodes.has(srcId)) b.nodes.set(srcId, missingNode(ref));
      // An automation writes to its GitRepository: ImagePolicy → automation → GitRepository → Kustomization.
      if (o.kind === 'ImageUpdateAutomation') addEdge(b, id, srcId, 'source');
      else addEdge(b, srcId, id, 'source');
    }
    if (o.kind === 'ImageUpdateAutomation')
      for (const policyId of automationPolicies(o, flux.values()))
        if (b.nodes.has(policyId)) addEdge(b, policyId, id, 'source');
    for (const dep of o.dependsOn) {
      const depId = nodeIdOf({
        cluster: o.cluster,
        group: o.group,
        kind: o.kind,
        namespace: dep.namespace || o.namespace,
        name: dep.name,
      });
      if (b.nodes.has(depId)) addEdge(b, depId, id, 'depends');
    }
    const node = b.nodes.get(id);
    const other: Record<string, number> = {};
    for (const ref of o.inventory ?? []) {
      const childId = nodeIdOf({ cluster: o.cluster, ...ref });
      if (childId === id) continue;
      if (flux.has(childId)) {
        addEdge(b, id, childId, 'inventory');
        continue;
      }
      if (node?.collapsed) continue;
      if (!input.showAllKinds && !WORKLOAD_KINDS.has(ref.kind)) {
        other[ref.kind] = (other[ref.kind] ?? 0) + 1;
        continue;
      }
      if (!b.nodes.has(childId))
        b.nodes.set(childId, leafNode({ cluster: o.cluster, ...ref }, id, workloadsById.get(childId), input));
      addEdge(b, id, childId, 'inventory');
    }
    if (o.kind === 'HelmRelease') addReleaseLeaves(b, input, id, released.get(id) ?? []);
    const kinds = Object.entries(other).sort(([a], [c]) => a.localeCompare(c));
    if (kinds.length > 0) {
      const moreId = `${id}|more`;
      const count = kinds.reduce((n, [, c]) => n + c, 0);
      b.nodes.set(moreId, {
        id: moreId,
        role: 'more',
        cluster: o.cluster,
        group: '',
        kind: 'Objects',
        namespace: o.namespace,
        name: `${count} more object${count === 1 ? '' : 's'}`,
        status: 'unknown',
        reconciling: false,
        suspended: false,
        detail: kinds.map(([k, c]) => `${c} ${k}`).join(' · '),
        childCount: count,
        collapsed: false,
        owner: id,
        match: true,
      });
      addEdge(b, id, moreId, 'inventory');
    }
  }
  return b;
}

/**
 * The ImagePolicies an ImageUpdateAutomation uses, as node ids: those of its namespace its `spec.policySelector`
 * selects (all of them without one), as image-automation-controller picks them for a run. Evaluated here rather than
 * read from `status.observedPolicies`, which lists only what the last run used: links show before the first run and
 * follow a changed selector at once. A selector Kubernetes would refuse selects nothing (the automation stalls).
 */
export function automationPolicies(automation: FluxObject, objects: Iterable<FluxObject>): string[] {
  const ids = new Set<string>();
  const idOf = (name: string): string =>
    nodeIdOf({
      cluster: automation.cluster,
      group: automation.group,
      kind: 'ImagePolicy',
      namespace: automation.namespace,
      name,
    });
  for (const p of objects) {
    if (p.kind !== 'ImagePolicy' || p.cluster !== automation.cluster || p.namespace !== automation.namespace) continue;
    try {
      if (selectsLabels(automation.policySelector, p.labels ?? {})) ids.add(idOf(p.name));
    } catch (err) {
      if (!(err instanceof LabelSelectorError)) throw err;
      return [];
    }
  }
  return [...ids].sort();
}

/** The workloads Helm releases made, by the node id of the HelmRelease their origin labels name. */
export function releaseWorkloads(workloads: Iterable<Workload>): Map<string, Workload[]> {
  const out = new Map<string, Workload[]>();
  for (const w of workloads) {
    if (!w.helmRelease) continue;
    const hr = nodeIdOf({
      cluster: w.cluster,
      group: 'helm.toolkit.fluxcd.io',
      kind: 'HelmRelease',
      namespace: w.helmRelease.namespace,
      name: w.helmRelease.name,
    });
    pushTo(out, hr, w);
  }
  return out;
}

/** A HelmRelease's workloads as its leaves, as a Kustomization's inventory workloads are (folded when collapsed). */
function addReleaseLeaves(b: Built, input: ProjectionInput, id: string, workloads: Workload[]): void {
  const node = b.nodes.get(id);
  if (!node) return;
  node.childCount = workloads.length;
  if (node.collapsed) return;
  for (const w of workloads) {
    const childId = nodeIdOf(w);
    const ref = { cluster: w.cluster, group: w.group, kind: w.kind, namespace: w.namespace, name: w.name };
    if (!b.nodes.has(childId)) b.nodes.set(childId, leafNode(ref, id, w, input));
    addEdge(b, id, childId, 'inventory');
  }
}

interface Query {
  text: string[];
  kind?: string;
  namespace?: string;
  cluster?: string;
}

export function parseSearch(search: string): Query {
  const q: Query = { text: [] };
  for (const token of search.toLowerCase().split(/\s+/).filter(Boolean)) {
    const m = /^(kind|ns|namespace|cluster):(.*)$/.exec(token);
    if (!m) q.text.push(token);
    else if (m[1] === 'kind') q.kind = m[2];
    else if (m[1] === 'cluster') q.cluster = m[2];
    else q.namespace = m[2];
  }
  return q;
}

function matchesQuery(n: GraphNode, q: Query): boolean {
  if (q.kind !== undefined && !n.kind.toLowerCase().startsWith(q.kind)) return false;
  if (q.namespace !== undefined && !n.namespace.toLowerCase().includes(q.namespace)) return false;
  if (q.cluster !== undefined && !n.cluster.toLowerCase().includes(q.cluster)) return false;
  if (q.text.length === 0) return true;
  const hay = `${n.kind} ${n.namespace}/${n.name}`.toLowerCase();
  return q.text.every((t) => hay.includes(t));
}

function matchesStatus(n: GraphNode, filter: StatusFilter): boolean {
  switch (filter) {
    case 'all':
      return true;
    case 'failing':
      return n.status === 'failed' || n.status === 'missing';
    case 'not-ready':
      return n.role !== 'more' && n.status !== 'ready';
    case 'suspended':
      return n.suspended;
  }
}

function compareNodes(a: GraphNode, b: GraphNode): number {
  return (
    a.cluster.localeCompare(b.cluster) ||
    ROLE_ORDER[a.role] - ROLE_ORDER[b.role] ||
    a.namespace.localeCompare(b.namespace) ||
    a.kind.localeCompare(b.kind) ||
    a.name.localeCompare(b.name) ||
    a.id.localeCompare(b.id)
  );
}

export function projectGraph(input: ProjectionInput): Projection {
  const b = build(input);
  const total = b.nodes.size;
  const q = parseSearch(input.search);
  const filtering = input.search.trim() !== '' || input.statusFilter !== 'all';
  let keep: Set<string> | undefined;
  let matched = total;
  if (filtering) {
    const incoming = new Map<string, string[]>();
    const leaves = new Map<string, string[]>();
    for (const e of b.edges.values()) {
      pushTo(incoming, e.target, e.source);
      if (e.role === 'inventory') pushTo(leaves, e.source, e.target);
    }
    keep = new Set();
    const stack: string[] = [];
    matched = 0;
    for (const n of b.nodes.values()) {
      n.match = matchesQuery(n, q) && matchesStatus(n, input.statusFilter);
      if (!n.match) continue;
      matched++;
      stack.push(n.id);
      // A matching Flux object brings its own workloads along (not its nested Flux children).
      for (const leaf of leaves.get(n.id) ?? []) if (b.nodes.get(leaf)?.owner === n.id) keep.add(leaf);
    }
    const visited = new Set<string>();
    for (let id = stack.pop(); id !== undefined; id = stack.pop()) {
      if (visited.has(id)) continue;
      visited.add(id);
      keep.add(id);
      stack.push(...(incoming.get(id) ?? []));
    }
  }
  const nodes = [...b.nodes.values()].filter((n) => !keep || keep.has(n.id)).sort(compareNodes);
  const edges = [...b.edges.values()]
    .filter((e) => !keep || (keep.has(e.source) && keep.has(e.target)))
    .sort((x, y) => x.id.localeCompare(y.id));
  return { nodes, edges, total, matched };
}
