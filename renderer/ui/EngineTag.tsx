/** Which engine reconciles a cluster, as a small tag: the sidebar's rows and the graph's cluster sections show it. */
import type { ClusterInfo } from '../../main/contract/index.ts';

type Engine = NonNullable<ClusterInfo['engine']>;

const ENGINE_TITLE: Record<Engine['kind'], string> = {
  desktop: 'Fluxdeck reconciles this cluster (this or another instance on a desktop)',
  flux: 'In-cluster Flux reconciles here (its controllers renew their Leases); Fluxdeck only watches and controls',
  none: 'No engine reconciles this cluster',
  both: 'In-cluster Flux and another Fluxdeck instance both reconcile here: stop one of them',
};

/** `long`: where there is room, say that Flux runs in the cluster (the sidebar's rows are narrow). */
export function engineLabel(e: Engine, long = false): string {
  const flux = long ? 'in-cluster Flux' : 'Flux';
  if (e.kind === 'flux') return e.version ? `${flux} ${e.version}` : flux;
  if (e.kind === 'both') return 'Flux + Fluxdeck';
  return e.kind === 'desktop' ? 'desktop' : 'no engine';
}

export function EngineTag(props: {
  engine: Engine;
  className: string;
  testId: string;
  long?: boolean;
}): React.JSX.Element {
  const { engine } = props;
  return (
    <span
      className={`${props.className}${engine.kind === 'both' ? ' is-bad' : ''}`}
      title={ENGINE_TITLE[engine.kind]}
      data-testid={props.testId}
      data-engine={engine.kind}
    >
      {engineLabel(engine, props.long)}
    </span>
  );
}
