import type { NodeStatus } from './node-status.ts';

const LABEL: Record<NodeStatus, string> = {
  ready: 'Ready',
  progressing: 'Progressing',
  failed: 'Failed',
  suspended: 'Suspended',
  unknown: 'Unknown',
  missing: 'Not found',
};

export function statusLabel(status: NodeStatus): string {
  return LABEL[status];
}

export function StatusDot(props: { status: NodeStatus; spinning?: boolean; title?: string }): React.JSX.Element {
  return (
    <span
      className={`dot dot--${props.status}${props.spinning ? ' dot--spin' : ''}`}
      title={props.title ?? LABEL[props.status]}
      aria-label={props.title ?? LABEL[props.status]}
    />
  );
}
