/**
 * Node renderers for @xyflow/react. Each is memoised and reads only its own data; zoomed far out they draw a plain
 * coloured block (level of detail), which keeps thousands of visible nodes cheap.
 */
import { type Node, type NodeProps, useStore } from '@xyflow/react';
import { memo } from 'react';

import { toggleCollapsed } from '../../store/actions.ts';
import { useAppStore } from '../../store/index.ts';
import { EngineTag } from '../../ui/EngineTag.tsx';
import { kindAbbrev } from '../../ui/format.ts';
import { statusLabel } from '../../ui/StatusDot.tsx';
import type { ClusterSection } from './layout-model.ts';
import type { GraphNode } from './projection.ts';

export type GNodeData = GraphNode & { selected: boolean; dim: boolean; [key: string]: unknown };
export type GraphFlowNode = Node<GNodeData, 'flux' | 'leaf' | 'more'>;
export type SectionData = ClusterSection & { total: number; failing: number; [key: string]: unknown };
export type SectionFlowNode = Node<SectionData, 'section'>;

const zoomedOut = (s: { transform: [number, number, number] }): boolean => s.transform[2] < 0.35;

function classes(d: GNodeData, role: string): string {
  return [
    'gnode',
    `gnode--${role}`,
    `is-${d.status}`,
    d.selected && 'is-selected',
    d.reconciling && 'is-reconciling',
    d.suspended && 'is-suspended',
    d.dim && 'is-dim',
  ]
    .filter(Boolean)
    .join(' ');
}

/**
 * The handles flow-elements.ts declares, as empty marks where it declares them. React Flow re-measures a node from
 * the DOM when its observed size ever differs from the declared one, and then takes the handles it finds there:
 * with none, the node's edges were silently dropped (an ImageUpdateAutomation → GitRepository edge was never drawn).
 * Plain spans, not Handle components, so a node costs no store subscriptions for them.
 */
function Ports({ out }: { out: boolean }): React.JSX.Element {
  return (
    <>
      <span className="gnode__port target" data-handlepos="left" />
      {out && <span className="gnode__port source" data-handlepos="right" />}
    </>
  );
}

function tooltip(d: GNodeData): string {
  const parts = [`${d.kind} ${d.namespace ? `${d.namespace}/` : ''}${d.name}`, statusLabel(d.status)];
  if (d.suspended) parts.push('suspended');
  if (d.reconciling) parts.push('reconciling…');
  if (d.message) parts.push(d.message);
  return parts.join('\n');
}

function testAttrs(d: GNodeData): Record<string, string> {
  return {
    'data-testid': 'graph-node',
    'data-kind': d.kind,
    'data-name': d.name,
    'data-namespace': d.namespace,
    'data-cluster': d.cluster,
    'data-status': d.status,
    'data-suspended': String(d.suspended),
    'data-reconciling': String(d.reconciling),
  };
}

export const FluxNode = memo(function FluxNode({ data: d }: NodeProps<GraphFlowNode>) {
  const far = useStore(zoomedOut);
  return (
    <div className={classes(d, d.role === 'source' ? 'source' : 'flux')} title={tooltip(d)} {...testAttrs(d)}>
      <Ports out />
      <div className="gnode__bar" />
      {!far && (
        <div className="gnode__body">
          <div className="gnode__top">
            <span className="gnode__kind">{kindAbbrev(d.kind)}</span>
            <span className="gnode__name">{d.name}</span>
            {d.suspended && <span className="gnode__flag gnode__flag--pause" title="suspended" />}
            {d.reconciling && <span className="gnode__flag gnode__flag--spin" title="reconciling" />}
          </div>
          <div className="gnode__sub">
            <span className="gnode__ns">{d.namespace}</span>
            {d.detail && <span className="gnode__detail">{d.detail}</span>}
          </div>
        </div>
      )}
      {!far && d.childCount > 0 && d.role === 'flux' && (
        <button
          type="button"
          className="gnode__fold nodrag"
          title={d.collapsed ? 'Show inventory' : 'Fold inventory'}
          onClick={(e) => {
            e.stopPropagation();
            toggleCollapsed(d.id);
          }}
        >
          {d.collapsed ? `+${d.childCount}` : '−'}
        </button>
      )}
    </div>
  );
});

export const LeafNode = memo(function LeafNode({ data: d }: NodeProps<GraphFlowNode>) {
  const far = useStore(zoomedOut);
  return (
    <div className={classes(d, 'leaf')} title={tooltip(d)} {...testAttrs(d)}>
      <Ports out={false} />
      <div className="gnode__bar" />
      {!far && (
        <div className="gnode__body">
          <div className="gnode__top">
            <span className="gnode__kind">{kindAbbrev(d.kind)}</span>
            <span className="gnode__name">{d.name}</span>
          </div>
          {d.detail && <div className="gnode__sub gnode__detail">{d.detail}</div>}
        </div>
      )}
    </div>
  );
});

export const MoreNode = memo(function MoreNode({ data: d }: NodeProps<GraphFlowNode>) {
  const far = useStore(zoomedOut);
  return (
    <div className={classes(d, 'more')} title={d.detail} data-testid="graph-more">
      <Ports out={false} />
      {!far && (
        <div className="gnode__body">
          <div className="gnode__top gnode__name">{d.name}</div>
          <div className="gnode__sub gnode__detail">{d.detail}</div>
        </div>
      )}
    </div>
  );
});

export const SectionNode = memo(function SectionNode({ data: d }: NodeProps<SectionFlowNode>) {
  // Read here rather than carried in the section's data: the engine changes without any layout change.
  const engine = useAppStore((s) => s.clusters[d.cluster]?.engine);
  return (
    <div className="gsection" data-testid="cluster-section" data-cluster={d.cluster}>
      <div className="gsection__head">
        <span className="gsection__name">{d.cluster}</span>
        {engine && <EngineTag engine={engine} className="gsection__engine" testId="section-engine" long />}
        <span className="gsection__meta">
          {d.total} objects{d.failing > 0 && <em> · {d.failing} failing</em>}
        </span>
      </div>
    </div>
  );
});

export const nodeTypes = { flux: FluxNode, leaf: LeafNode, more: MoreNode, section: SectionNode };
