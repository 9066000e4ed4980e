/**
 * The graph: sources → Flux objects → workloads for the clusters in scope. The projection is recomputed when the
 * store changes; layout happens in a worker and only for components whose shape changed; React Flow renders only the
 * elements in view. The view never holds the truth: it is derived from the store on every change.
 */
import {
  Controls,
  type Edge,
  MiniMap,
  type Node,
  ReactFlow,
  type ReactFlowInstance,
  useReactFlow,
  useStore,
  type Viewport,
} from '@xyflow/react';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';

import { notify, select, toggleCollapsed } from '../../store/actions.ts';
import { useAppStore } from '../../store/index.ts';
import { clustersInView } from './cull.ts';
import { fitViewport } from './fit.ts';
import { newElementCache, toFlowEdges, toFlowNodes } from './flow-elements.ts';
import { createLayoutClient, type LayoutClient, workerRunner } from './layout-client.ts';
import type { Layout } from './layout-model.ts';
import { type GNodeData, nodeTypes } from './nodes.tsx';
import { projectGraph, type Projection } from './projection.ts';

let client: LayoutClient | undefined;
function layoutClient(): LayoutClient {
  client ??= createLayoutClient(workerRunner());
  return client;
}
/** Starts the layout workers early (main.tsx), before the first snapshot arrives. */
export const prepareLayout = (): unknown => layoutClient();

const MINIMAP_MAX_NODES = 600;
/**
 * Zoomed this far out, edges are unreadable, and painting them is most of the cost of each frame while panning an
 * overview of thousands of nodes; they come back when zooming in. (There is no dot grid for the same reason: it is
 * repainted on every frame of a pan, and a plain canvas is calmer anyway.)
 */
const FAR_ZOOM = 0.3;
const NO_EDGES: Edge[] = [];
/** Screen pixels around the view within which a cluster's elements are handed to React Flow before they show. */
const CULL_MARGIN = 400;
/** How long centring waits for the pane to take its new size (two frames and a little). */
const CENTER_AFTER_MS = 60;

function runningNodes(actions: Record<string, { nodeId: string; finishedAt?: number }>): string[] {
  return Object.values(actions)
    .filter((a) => a.finishedAt === undefined)
    .map((a) => a.nodeId)
    .sort();
}

/** Viewport animations resolve when done; nothing depends on that, and they do not fail. */
function settle(p: Promise<unknown>): void {
  p.catch(() => undefined);
}

function fitSmart(
  flow: ReactFlowInstance,
  layout: Layout,
  pane: { width: number; height: number },
  duration: number,
): Promise<unknown> {
  const viewport = fitViewport(layout, pane);
  return viewport ? flow.setViewport(viewport, { duration }) : Promise.resolve();
}

interface FitRecord {
  request: number;
  final: boolean;
  /** The pane's size when fitted. */
  width: number;
  height: number;
  /** The viewport the fit produced: while the view is still there, the user has not moved it. */
  viewport?: Viewport;
}

/**
 * Fits the view on the first layout and on request (a scope change asks for it), and centres the selected node when
 * asked. When ELK's layout replaces the provisional one, the view fits again, unless the user has moved it meanwhile.
 */
function ViewController(props: { layout: Layout; final: boolean; nodeCount: number }): null {
  const flow = useReactFlow();
  const pane = useStore(useShallow((s) => ({ width: s.width, height: s.height })));
  const fitRequest = useAppStore((s) => s.fitRequest);
  const centerRequest = useAppStore((s) => s.centerRequest);
  const fitted = useRef<FitRecord>({ request: -1, final: false, width: 0, height: 0 });
  const { layout, final, nodeCount } = props;

  useEffect(() => {
    if (nodeCount === 0 || pane.width === 0) return;
    const done = fitted.current;
    const v = flow.getViewport();
    const untouched =
      done.viewport !== undefined &&
      done.viewport.x === v.x &&
      done.viewport.y === v.y &&
      done.viewport.zoom === v.zoom;
    // Until the user moves the view, it follows ELK's final layout and the visible area (the object panel opening
    // or closing, the window resizing), so what "fit" showed stays fitted.
    const resized = done.width !== pane.width || done.height !== pane.height;
    const refit = done.request === fitRequest && untouched && ((final && !done.final) || resized);
    if (done.request === fitRequest && !refit) return;
    const record: FitRecord = { request: fitRequest, final, width: pane.width, height: pane.height };
    fitted.current = record;
    fitSmart(flow, layout, pane, done.request < 0 || refit ? 0 : 200)
      .then(() => {
        if (fitted.current === record) record.viewport = flow.getViewport();
      })
      .catch(() => undefined);
  }, [flow, layout, final, nodeCount, pane, fitRequest]);

  // Keep the selected node in view when the object panel opens and narrows the graph.
  const selected = useAppStore((s) => s.selected);
  useEffect(() => {
    const pos = selected === undefined ? undefined : layout.positions.get(selected);
    if (!pos || pane.width === 0) return;
    const { x, y, zoom } = flow.getViewport();
    const left = pos.x * zoom + x;
    const top = pos.y * zoom + y;
    const inside = left >= 0 && top >= 0 && left + 240 * zoom <= pane.width && top + 60 * zoom <= pane.height;
    if (!inside) settle(flow.setCenter(pos.x + 120, pos.y + 30, { zoom, duration: 200 }));
    // Only selection and the pane's size move the view, not layout updates.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [flow, selected, pane.width, pane.height]);

  useEffect(() => {
    const id = useAppStore.getState().selected;
    const pos = id === undefined ? undefined : layout.positions.get(id);
    if (centerRequest <= 0 || !pos) return;
    // The request usually opens the object panel too: centre once the pane has its new width (React Flow measures
    // it on the next frame), or the node lands under the panel.
    const timer = setTimeout(
      () => settle(flow.setCenter(pos.x + 120, pos.y + 30, { zoom: Math.max(flow.getZoom(), 0.8), duration: 250 })),
      CENTER_AFTER_MS,
    );
    return () => clearTimeout(timer);
    // Only a new request moves the view; a later layout must not yank it back.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [flow, centerRequest]);
  return null;
}

function EmptyState(props: { total: number }): React.JSX.Element | null {
  const synced = useAppStore((s) => s.synced);
  const connected = useAppStore((s) => Object.values(s.clusters).filter((c) => c.state === 'connected').length);
  const contexts = useAppStore((s) => s.clusterOrder.length);
  const search = useAppStore((s) => s.search);
  const fatal = useAppStore((s) => s.fatal);
  if (fatal) return <div className="graph-empty graph-empty--error">{fatal}</div>;
  if (!synced) return <div className="graph-empty">Loading…</div>;
  if (contexts === 0)
    return (
      <div className="graph-empty">
        <strong>No kubeconfig contexts found.</strong>
        <span>
          Fluxdeck reads $KUBECONFIG or ~/.kube/config. Add a context there (your cloud CLI does it, e.g.{' '}
          <code>aws eks update-kubeconfig</code>), or start a local cluster with <code>kind create cluster</code> or{' '}
          <code>k3d cluster create</code>: it appears in the sidebar as soon as the file changes.
        </span>
      </div>
    );
  if (connected === 0)
    return (
      <div className="graph-empty">
        <strong>Connect a cluster to see its GitOps graph.</strong>
        <span>Pick a context in the sidebar and press Connect. Fluxdeck connects only to the contexts you choose.</span>
      </div>
    );
  if (props.total === 0)
    return (
      <div className="graph-empty">
        <strong>No Flux objects yet.</strong>
        <span>
          GitRepositories, Kustomizations and HelmReleases appear here as soon as they exist in a connected cluster.
        </span>
      </div>
    );
  return (
    <div className="graph-empty">
      <strong>Nothing matches{search ? ` “${search}”` : ' the filter'}.</strong>
      <span>Press Esc to clear the search, or pick “All” in the filter.</span>
    </div>
  );
}

export function GraphView(): React.JSX.Element {
  const input = useAppStore(
    useShallow((s) => ({
      objects: s.objects,
      workloads: s.workloads,
      scope: s.scope,
      search: s.search,
      statusFilter: s.statusFilter,
      collapsed: s.collapsed,
      showAllKinds: s.showAllKinds,
    })),
  );
  const busyList = useAppStore(useShallow((s) => runningNodes(s.actions)));
  const selected = useAppStore((s) => s.selected);
  const projection = useMemo(() => {
    const p = projectGraph({ ...input, busy: new Set(busyList) });
    performance.mark('fluxdeck:projection', { detail: { nodes: p.nodes.length } });
    return p;
  }, [input, busyList]);
  // Provisional positions at once (pure, cached), ELK's when the worker answers.
  const provisional = useMemo(() => {
    const result = layoutClient().now(projection);
    performance.mark('fluxdeck:layout', { detail: { nodes: projection.nodes.length, final: result.final } });
    return result;
  }, [projection]);
  const [refined, setRefined] = useState<{ layout: Layout; for: Projection } | undefined>(undefined);
  const laidOut =
    refined?.for === projection
      ? { layout: refined.layout, final: true }
      : { layout: provisional.layout, final: provisional.final };
  const layout = laidOut.layout;
  const seq = useRef(0);
  // A mutable cache owned by this view (not state: changing it must not re-render).
  const [cache] = useState(newElementCache);

  useEffect(() => {
    if (provisional.final) return;
    const mine = ++seq.current;
    layoutClient()
      .refine(projection)
      .then((l) => {
        performance.mark('fluxdeck:layout', { detail: { nodes: projection.nodes.length, final: true } });
        if (mine === seq.current) setRefined({ layout: l, for: projection });
      })
      .catch((err: unknown) =>
        notify({
          tone: 'error',
          title: 'The graph could not be laid out',
          message: String(err),
          hint: 'Reload the window.',
        }),
      );
  }, [projection, provisional]);

  const filtering = input.search.trim() !== '' || input.statusFilter !== 'all';
  const nodes = useMemo(() => {
    const n = toFlowNodes(projection, layout, selected, filtering, cache);
    performance.mark('fluxdeck:elements', { detail: { nodes: n.length } });
    return n;
  }, [projection, layout, selected, filtering, cache]);
  const edges = useMemo(() => toFlowEdges(projection, selected, cache), [projection, selected, cache]);
  const graphNodes = nodes.length - layout.sections.length;
  const far = useStore((s) => s.transform[2] < FAR_ZOOM);
  // Only the clusters in view go to React Flow (a string, so panning within them does not re-render this view).
  const inView = useStore((s) =>
    clustersInView(layout.sections, s.transform, { width: s.width, height: s.height }, CULL_MARGIN).join('\n'),
  );
  const shown = useMemo(() => {
    // A graph small enough for the minimap is cheap anyway, and the minimap draws what React Flow holds.
    if (layout.sections.length <= 1 || graphNodes <= MINIMAP_MAX_NODES) return { nodes, edges };
    const keep = new Set(inView === '' ? [] : inView.split('\n'));
    if (keep.size === layout.sections.length) return { nodes, edges };
    const clusterOf = new Map(projection.nodes.map((n) => [n.id, n.cluster]));
    return {
      nodes: nodes.filter((n) => keep.has(n.data.cluster)),
      edges: edges.filter((e) => keep.has(clusterOf.get(e.source) ?? '')),
    };
  }, [nodes, edges, inView, layout.sections.length, graphNodes, projection]);

  useEffect(() => {
    if (graphNodes === 0) return;
    // After React committed the nodes, mark the next frame: the benchmark reads time-to-first-graph from this.
    const raf = requestAnimationFrame(() =>
      performance.mark('fluxdeck:graph-rendered', { detail: { nodes: graphNodes } }),
    );
    return () => cancelAnimationFrame(raf);
  }, [nodes, graphNodes]);

  const onNodeClick = (_: unknown, node: Node): void => {
    if (node.type !== 'section') select(node.id);
  };
  const onNodeDoubleClick = (_: unknown, node: Node): void => {
    const d = node.data as GNodeData;
    if (node.type === 'flux' && d.childCount > 0) toggleCollapsed(node.id);
  };

  return (
    <div className="graph" data-testid="graph" data-nodes={graphNodes}>
      <ReactFlow
        nodes={shown.nodes}
        edges={far ? NO_EDGES : shown.edges}
        nodeTypes={nodeTypes}
        onNodeClick={onNodeClick}
        onNodeDoubleClick={onNodeDoubleClick}
        onPaneClick={() => select(undefined)}
        onlyRenderVisibleElements
        nodesDraggable={false}
        nodesConnectable={false}
        elementsSelectable={false}
        nodesFocusable={false}
        edgesFocusable={false}
        minZoom={0.03}
        maxZoom={2}
        zoomOnDoubleClick={false}
        colorMode="dark"
        proOptions={{ hideAttribution: false }}
      >
        <Controls showInteractive={false} position="bottom-left" />
        {graphNodes > 0 && graphNodes <= MINIMAP_MAX_NODES && (
          <MiniMap
            pannable
            zoomable
            position="bottom-right"
            nodeClassName={(n) => (n.type === 'section' ? 'mm mm--section' : `mm mm--${(n.data as GNodeData).status}`)}
          />
        )}
        <ViewController layout={layout} final={laidOut.final} nodeCount={graphNodes} />
      </ReactFlow>
      {graphNodes === 0 && <EmptyState total={projection.total} />}
    </div>
  );
}
