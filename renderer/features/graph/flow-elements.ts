/**
 * Turns a projection and its layout into @xyflow/react nodes and edges, reusing the previous element object whenever
 * nothing about it changed. React Flow and the memoised node components compare by reference, so a delta that
 * changes one object re-renders one node, not two thousand.
 */
import { type Edge, type NodeHandle, Position } from '@xyflow/react';

import { type Layout, SIZE } from './layout-model.ts';
import type { GNodeData, GraphFlowNode, SectionFlowNode } from './nodes.tsx';
import type { GraphNode, Projection } from './projection.ts';

export type FlowNode = GraphFlowNode | SectionFlowNode;

const FIELDS: (keyof GraphNode)[] = [
  'status',
  'reconciling',
  'suspended',
  'detail',
  'message',
  'childCount',
  'collapsed',
  'match',
  'name',
  'namespace',
  'kind',
];

function sameData(a: GNodeData, b: GraphNode, selected: boolean, dim: boolean): boolean {
  return a.selected === selected && a.dim === dim && FIELDS.every((f) => a[f] === b[f]);
}

function sizeOf(n: GraphNode): { width: number; height: number } {
  return n.role === 'flux' || n.role === 'source' ? SIZE.flux : SIZE.leaf;
}

/**
 * Handles declared up front (left middle in, right middle out), with the node's size as already measured: React
 * Flow otherwise renders every new node once to measure it and its handles, visible or not (two thousand DOM nodes
 * built and thrown away on the first frame), and measures each node again as it scrolls into view. The node
 * components therefore render no Handle elements; their CSS sizes are these sizes.
 */
function handlesOf(n: GraphNode, width: number, height: number): NodeHandle[] {
  const target: NodeHandle = { type: 'target', position: Position.Left, x: 0, y: height / 2, width: 1, height: 1 };
  if (n.role === 'more' || n.role === 'leaf') return [target];
  return [target, { type: 'source', position: Position.Right, x: width - 1, y: height / 2, width: 1, height: 1 }];
}

export interface ElementCache {
  nodes: Map<string, GraphFlowNode>;
  sections: Map<string, SectionFlowNode>;
  edges: Map<string, Edge>;
}

export function newElementCache(): ElementCache {
  return { nodes: new Map(), sections: new Map(), edges: new Map() };
}

export function toFlowNodes(
  p: Projection,
  layout: Layout | undefined,
  selected: string | undefined,
  filtering: boolean,
  cache: ElementCache,
): FlowNode[] {
  if (!layout) return [];
  const out: FlowNode[] = [];
  const counts = new Map<string, { total: number; failing: number }>();
  for (const n of p.nodes) {
    const c = counts.get(n.cluster) ?? { total: 0, failing: 0 };
    if (n.role !== 'more') c.total++;
    if (n.status === 'failed' || n.status === 'missing') c.failing++;
    counts.set(n.cluster, c);
  }
  for (const s of layout.sections) {
    const c = counts.get(s.cluster) ?? { total: 0, failing: 0 };
    const id = `section|${s.cluster}`;
    const prev = cache.sections.get(id);
    const d = prev?.data;
    if (
      prev &&
      d &&
      d.x === s.x &&
      d.y === s.y &&
      d.width === s.width &&
      d.height === s.height &&
      d.total === c.total &&
      d.failing === c.failing
    ) {
      out.push(prev);
      continue;
    }
    // Whole pixels: the DOM measures whole pixels, and a size React Flow finds different from the declared one makes
    // it re-place every node (all 10,000) each time the section mounts, e.g. scrolling back into view.
    const width = Math.ceil(s.width);
    const height = Math.ceil(s.height);
    const node: SectionFlowNode = {
      id,
      type: 'section',
      position: { x: s.x, y: s.y },
      data: { ...s, ...c },
      width,
      height,
      measured: { width, height },
      handles: [],
      style: { width, height },
      selectable: false,
      draggable: false,
      focusable: false,
      zIndex: -1,
    };
    cache.sections.set(id, node);
    out.push(node);
  }
  const seen = new Set<string>();
  for (const n of p.nodes) {
    const pos = layout.positions.get(n.id);
    if (!pos) continue;
    seen.add(n.id);
    const isSelected = n.id === selected;
    const dim = filtering && !n.match;
    const prev = cache.nodes.get(n.id);
    if (prev && prev.position.x === pos.x && prev.position.y === pos.y && sameData(prev.data, n, isSelected, dim)) {
      out.push(prev);
      continue;
    }
    const { width, height } = sizeOf(n);
    const node: GraphFlowNode = {
      id: n.id,
      type: n.role === 'more' ? 'more' : n.role === 'leaf' ? 'leaf' : 'flux',
      position: pos,
      data: { ...n, selected: isSelected, dim },
      width,
      height,
      // Declared as measured: with handles declared too, React Flow has nothing to measure in the DOM.
      measured: { width, height },
      handles: handlesOf(n, width, height),
      draggable: false,
      connectable: false,
    };
    cache.nodes.set(n.id, node);
    out.push(node);
  }
  for (const id of cache.nodes.keys()) if (!seen.has(id)) cache.nodes.delete(id);
  return out;
}

export function toFlowEdges(p: Projection, selected: string | undefined, cache: ElementCache): Edge[] {
  const out: Edge[] = [];
  const seen = new Set<string>();
  for (const e of p.edges) {
    const active = selected !== undefined && (e.source === selected || e.target === selected);
    const className = `gedge gedge--${e.role}${active ? ' is-active' : ''}`;
    seen.add(e.id);
    const prev = cache.edges.get(e.id);
    if (prev?.className === className) {
      out.push(prev);
      continue;
    }
    const edge: Edge = {
      id: e.id,
      source: e.source,
      target: e.target,
      className,
      type: 'default',
      focusable: false,
      selectable: false,
    };
    cache.edges.set(e.id, edge);
    out.push(edge);
  }
  for (const id of cache.edges.keys()) if (!seen.has(id)) cache.edges.delete(id);
  return out;
}
