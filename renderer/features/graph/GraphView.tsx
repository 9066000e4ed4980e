/**
 * The graph: sources → Flux objects → workloads for the clusters in scope. The projection is recomputed when the
 * store changes; layout happens in a worker and only for components whose shape changed; React Flow renders only the
 * elements in view. The view never holds the truth: it is derived from the store on every change.
 */
import {
  Background,
  BackgroundVariant,
  Controls,
  MiniMap,
  type Node,
  ReactFlow,
  type ReactFlowInstance,
  useReactFlow,
  useStore,
} from '@xyflow/react';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';

import { notify, select, toggleCollapsed } from '../../store/actions.ts';
import { useAppStore } from '../../store/index.ts';
import { newElementCache, toFlowEdges, toFlowNodes } from './flow-elements.ts';
import { createLayoutClient, type LayoutClient, workerRunner } from './layout-client.ts';
import type { Layout } from './layout-model.ts';
import { type GNodeData, nodeTypes } from './nodes.tsx';
import { projectGraph } from './projection.ts';

let client: LayoutClient | undefined;
function layoutClient(): LayoutClient {
  client ??= createLayoutClient(workerRunner());
  return client;
}
/** Starts the layout workers early (main.tsx), before the first snapshot arrives. */
export const prepareLayout = (): unknown => layoutClient();

const MINIMAP_MAX_NODES = 600;

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

/** Below this zoom names are unreadable, so "fit" shows the top-left of the graph at a readable zoom instead. */
const READABLE_ZOOM = 0.45;

/**
 * Fits the graph into the pane when it is small enough to stay readable. A large graph starts at a readable zoom
 * with the first cluster's top-most source at the top left, so what the user sees first is a source and what it
 * feeds; zooming out and the minimap give the overview.
 */
function fitSmart(
  flow: ReactFlowInstance,
  layout: Layout,
  sources: string[],
  pane: { width: number; height: number },
  duration: number,
): void {
  if (layout.sections.length === 0 || pane.width === 0) return;
  const minX = Math.min(...layout.sections.map((s) => s.x));
  const minY = Math.min(...layout.sections.map((s) => s.y));
  const maxX = Math.max(...layout.sections.map((s) => s.x + s.width));
  const maxY = Math.max(...layout.sections.map((s) => s.y + s.height));
  const zoom = Math.min(pane.width / (maxX - minX), pane.height / (maxY - minY)) * 0.94;
  if (zoom >= READABLE_ZOOM) {
    settle(flow.fitView({ padding: 0.06, maxZoom: 1, duration }));
    return;
  }
  const first = layout.sections[0];
  let anchor: { x: number; y: number } | undefined;
  for (const id of sources) {
    const p = layout.positions.get(id);
    if (p && first && p.x <= first.x + first.width && (!anchor || p.y < anchor.y)) anchor = p;
  }
  const z = 0.8;
  const at = anchor ?? { x: minX, y: minY };
  settle(flow.setViewport({ x: 40 - at.x * z, y: 60 - at.y * z, zoom: z }, { duration }));
}

/**
 * Fits the view on the first layout and on request, and centres the selected node when asked. A request waits until
 * the layout matches the current projection (a scope change asks to fit before its new layout exists).
 */
function ViewController(props: {
  layout: Layout | undefined;
  current: boolean;
  nodeCount: number;
  sources: string[];
}): null {
  const flow = useReactFlow();
  const pane = useStore(useShallow((s) => ({ width: s.width, height: s.height })));
  const fitRequest = useAppStore((s) => s.fitRequest);
  const centerRequest = useAppStore((s) => s.centerRequest);
  const fitted = useRef(-1);
  const { layout, current, nodeCount, sources } = props;

  useEffect(() => {
    if (!layout || !current || nodeCount === 0 || fitted.current === fitRequest || pane.width === 0) return;
    fitSmart(flow, layout, sources, pane, fitted.current < 0 ? 0 : 200);
    fitted.current = fitRequest;
  }, [flow, layout, current, nodeCount, pane, fitRequest, sources]);

  useEffect(() => {
    const id = useAppStore.getState().selected;
    const pos = id === undefined ? undefined : layout?.positions.get(id);
    if (centerRequest > 0 && pos)
      settle(flow.setCenter(pos.x + 120, pos.y + 30, { zoom: Math.max(flow.getZoom(), 0.8), duration: 250 }));
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
        <span>Fluxdeck reads $KUBECONFIG or ~/.kube/config. Add a context there and it appears in the sidebar.</span>
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
  const [laidOut, setLaidOut] = useState<{ layout: Layout; for: unknown } | undefined>(undefined);
  const layout = laidOut?.layout;
  const seq = useRef(0);
  // A mutable cache owned by this view (not state: changing it must not re-render).
  const [cache] = useState(newElementCache);

  useEffect(() => {
    const mine = ++seq.current;
    layoutClient()
      .layout(projection)
      .then((l) => {
        performance.mark('fluxdeck:layout', { detail: { nodes: projection.nodes.length } });
        if (mine === seq.current) setLaidOut({ layout: l, for: projection });
      })
      .catch((err: unknown) =>
        notify({
          tone: 'error',
          title: 'The graph could not be laid out',
          message: String(err),
          hint: 'Reload the window.',
        }),
      );
  }, [projection]);

  const sources = useMemo(() => projection.nodes.filter((n) => n.role === 'source').map((n) => n.id), [projection]);
  const filtering = input.search.trim() !== '' || input.statusFilter !== 'all';
  const nodes = useMemo(() => {
    const n = toFlowNodes(projection, layout, selected, filtering, cache);
    performance.mark('fluxdeck:elements', { detail: { nodes: n.length } });
    return n;
  }, [projection, layout, selected, filtering, cache]);
  const edges = useMemo(() => toFlowEdges(projection, selected, cache), [projection, selected, cache]);
  const graphNodes = nodes.length - (layout?.sections.length ?? 0);

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
        nodes={nodes}
        edges={edges}
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
        <Background variant={BackgroundVariant.Dots} gap={24} size={1} color="#1c2430" />
        <Controls showInteractive={false} position="bottom-left" />
        {graphNodes > 0 && graphNodes <= MINIMAP_MAX_NODES && (
          <MiniMap
            pannable
            zoomable
            position="bottom-right"
            nodeClassName={(n) => (n.type === 'section' ? 'mm mm--section' : `mm mm--${(n.data as GNodeData).status}`)}
          />
        )}
        <ViewController
          layout={layout}
          current={laidOut?.for === projection}
          nodeCount={graphNodes}
          sources={sources}
        />
      </ReactFlow>
      {graphNodes === 0 && <EmptyState total={projection.total} />}
    </div>
  );
}
