/**
 * How the graph is laid out, as pure functions. ELK lays out only the skeleton (sources and Flux objects); each Flux
 * object's inventory leaves are packed in a grid beside it, inside a block ELK treats as one node. That keeps ELK's
 * input about ten times smaller than the graph, which is what makes thousands of nodes lay out in tens of
 * milliseconds. The skeleton is split into connected components per cluster; each component is laid out on its own
 * and cached by a signature of its shape, so a change re-lays out only the component it touches (incremental layout).
 */
import { pushTo } from './collections.ts';
import type { GraphEdge, GraphNode, Projection } from './projection.ts';

export const SIZE = {
  flux: { width: 248, height: 60 },
  leaf: { width: 216, height: 42 },
  gapX: 28,
  gapY: 8,
  /** Leaves per column before the grid wraps into another column. */
  rowsPerColumn: 6,
  componentGap: 40,
  clusterGap: 120,
  clusterHeader: 52,
  clusterPadding: 24,
} as const;

export interface Block {
  id: string;
  width: number;
  height: number;
  leaves: string[];
}

export interface ElkJob {
  key: string;
  /** A JSON ELK graph (children + edges), ready for `elk.layout`. */
  graph: {
    id: string;
    layoutOptions: Record<string, string>;
    children: { id: string; width: number; height: number; layoutOptions?: Record<string, string> }[];
    edges: { id: string; sources: string[]; targets: string[] }[];
  };
}

export interface ComponentLayout {
  key: string;
  width: number;
  height: number;
  /** Top-left of each block, relative to the component. */
  positions: Record<string, { x: number; y: number }>;
}

export interface Component {
  key: string;
  cluster: string;
  blocks: Block[];
  edges: GraphEdge[];
}

/**
 * Layered, left to right. React Flow draws the edges itself, so ELK's expensive orthogonal routing is replaced by
 * polyline routing (measured: 3-5x faster on a 70-block, 175-edge component), and nodes align to the top so a large
 * component starts where the view starts.
 */
export const ELK_OPTIONS: Record<string, string> = {
  'elk.algorithm': 'layered',
  'elk.direction': 'RIGHT',
  'elk.edgeRouting': 'POLYLINE',
  'elk.layered.thoroughness': '1',
  'elk.layered.mergeEdges': 'true',
  'elk.layered.considerModelOrder.strategy': 'NONE',
  'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
  'elk.layered.nodePlacement.bk.fixedAlignment': 'LEFTUP',
  'elk.layered.crossingMinimization.greedySwitch.type': 'OFF',
  'elk.spacing.nodeNode': '16',
  'elk.layered.spacing.nodeNodeBetweenLayers': '72',
  'elk.spacing.componentComponent': String(SIZE.componentGap),
};

export function leafGrid(count: number): { columns: number; rows: number } {
  if (count === 0) return { columns: 0, rows: 0 };
  const columns = Math.ceil(count / SIZE.rowsPerColumn);
  return { columns, rows: Math.ceil(count / columns) };
}

function blockOf(node: GraphNode, leaves: string[]): Block {
  const { columns, rows } = leafGrid(leaves.length);
  const leafWidth = columns * (SIZE.leaf.width + SIZE.gapX);
  const leafHeight = rows * (SIZE.leaf.height + SIZE.gapY) - SIZE.gapY;
  return {
    id: node.id,
    width: SIZE.flux.width + leafWidth,
    height: Math.max(SIZE.flux.height, leafHeight),
    leaves,
  };
}

/** FNV-1a over a string: a cheap, stable signature for cache keys. */
export function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(36);
}

/** Splits the projection into per-cluster connected components of blocks (skeleton nodes with their leaves). */
export function components(p: Projection): Component[] {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const leavesOf = new Map<string, string[]>();
  for (const n of p.nodes) {
    if (n.owner === undefined || !byId.has(n.owner)) continue;
    pushTo(leavesOf, n.owner, n.id);
  }
  const skeleton = p.nodes.filter((n) => n.role === 'source' || n.role === 'flux');
  const parent = new Map<string, string>(skeleton.map((n) => [n.id, n.id]));
  const find = (id: string): string => {
    let root = id;
    while (parent.get(root) !== root) root = parent.get(root) ?? root;
    parent.set(id, root);
    return root;
  };
  const skeletonEdges = p.edges.filter((e) => parent.has(e.source) && parent.has(e.target));
  for (const e of skeletonEdges) parent.set(find(e.source), find(e.target));
  const groups = new Map<string, Block[]>();
  for (const n of skeleton) {
    const root = find(n.id);
    pushTo(groups, root, blockOf(n, leavesOf.get(n.id) ?? []));
  }
  const edgesByRoot = new Map<string, GraphEdge[]>();
  for (const e of skeletonEdges) {
    const root = find(e.source);
    pushTo(edgesByRoot, root, e);
  }
  const out: Component[] = [];
  for (const [root, blocks] of groups) {
    const edges = edgesByRoot.get(root) ?? [];
    const shape =
      blocks.map((b) => `${b.id}:${b.width}x${b.height}`).join(',') + '|' + edges.map((e) => e.id).join(',');
    out.push({ key: hash(shape) + ':' + String(shape.length), cluster: byId.get(root)?.cluster ?? '', blocks, edges });
  }
  // Stable order: clusters by name, then components by their first (sorted) block.
  return out.sort(
    (a, b) => a.cluster.localeCompare(b.cluster) || (a.blocks[0]?.id ?? '').localeCompare(b.blocks[0]?.id ?? ''),
  );
}

export function elkJob(c: Component): ElkJob {
  return {
    key: c.key,
    graph: {
      id: 'root',
      layoutOptions: ELK_OPTIONS,
      // Left-aligned in their layer, so a narrow node never lands in a wider block's leaf columns.
      children: c.blocks.map((b) => ({
        id: b.id,
        width: b.width,
        height: b.height,
        layoutOptions: { 'elk.alignment': 'LEFT' },
      })),
      edges: c.edges.map((e) => ({ id: e.id, sources: [e.source], targets: [e.target] })),
    },
  };
}

/**
 * A provisional layout computed at once on the UI thread, shown until ELK's arrives: longest-path layers (sources
 * first, cycles broken where they close), one barycentre pass to keep children near their parents, blocks stacked
 * per layer. Linear in blocks and edges, so a 2,000-node graph appears in a frame while ELK refines it off-thread.
 */
export function quickLayout(c: Component): ComponentLayout {
  const incoming = new Map<string, string[]>(c.blocks.map((b) => [b.id, []]));
  for (const e of c.edges) incoming.get(e.target)?.push(e.source);
  const layer = new Map<string, number>();
  const visiting = new Set<string>();
  const depth = (id: string): number => {
    const known = layer.get(id);
    if (known !== undefined) return known;
    if (visiting.has(id)) return 0;
    visiting.add(id);
    let d = 0;
    for (const up of incoming.get(id) ?? []) d = Math.max(d, depth(up) + 1);
    visiting.delete(id);
    layer.set(id, d);
    return d;
  };
  const layers: (Block[] | undefined)[] = [];
  for (const b of c.blocks) (layers[depth(b.id)] ??= []).push(b);
  const order = new Map<string, number>();
  const positions: ComponentLayout['positions'] = {};
  const spacing = Number(ELK_OPTIONS['elk.spacing.nodeNode']);
  const between = Number(ELK_OPTIONS['elk.layered.spacing.nodeNodeBetweenLayers']);
  let x = 0;
  let height = 0;
  // A cycle (a bootstrap's flux-system Kustomization applies its own GitRepository) can leave a layer empty: skip it.
  for (const blocks of layers.filter((l): l is Block[] => l !== undefined)) {
    const centre = (b: Block): number => {
      const ups = (incoming.get(b.id) ?? []).map((u) => order.get(u)).filter((o) => o !== undefined);
      return ups.length === 0 ? 1e9 : ups.reduce((s, o) => s + o, 0) / ups.length;
    };
    blocks.sort((a, b) => centre(a) - centre(b) || a.id.localeCompare(b.id));
    let y = 0;
    let width = 0;
    blocks.forEach((b, i) => {
      order.set(b.id, i);
      positions[b.id] = { x, y };
      y += b.height + spacing;
      width = Math.max(width, b.width);
    });
    height = Math.max(height, y - spacing);
    x += width + between;
  }
  return { key: c.key, width: Math.max(0, x - between), height, positions };
}

export interface ClusterSection {
  cluster: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Layout {
  positions: Map<string, { x: number; y: number }>;
  sections: ClusterSection[];
}

/**
 * Places laid-out components: each cluster is a column with a header, its components stacked top to bottom; leaves
 * go in their owner's block, right of it, in columns of `rowsPerColumn`.
 */
export function assemble(comps: Component[], layouts: Map<string, ComponentLayout>): Layout {
  const positions = new Map<string, { x: number; y: number }>();
  const sections: ClusterSection[] = [];
  let x = 0;
  let current: ClusterSection | undefined;
  let y = 0;
  for (const c of comps) {
    const l = layouts.get(c.key);
    if (!l) continue;
    if (current?.cluster !== c.cluster) {
      if (current) x = current.x + current.width + SIZE.clusterGap;
      current = { cluster: c.cluster, x, y: 0, width: 0, height: 0 };
      sections.push(current);
      y = SIZE.clusterHeader + SIZE.clusterPadding;
    }
    const ox = current.x + SIZE.clusterPadding;
    for (const b of c.blocks) {
      const p = l.positions[b.id];
      if (!p) continue;
      positions.set(b.id, { x: ox + p.x, y: y + p.y });
      const { rows } = leafGrid(b.leaves.length);
      b.leaves.forEach((leaf, i) => {
        const col = Math.floor(i / rows);
        const row = i % rows;
        positions.set(leaf, {
          x: ox + p.x + SIZE.flux.width + SIZE.gapX + col * (SIZE.leaf.width + SIZE.gapX),
          y: y + p.y + row * (SIZE.leaf.height + SIZE.gapY),
        });
      });
    }
    current.width = Math.max(current.width, l.width + 2 * SIZE.clusterPadding);
    y += l.height + SIZE.componentGap;
    current.height = y - SIZE.componentGap + SIZE.clusterPadding;
  }
  return { positions, sections };
}
