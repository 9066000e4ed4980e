/** The bottom line: connection to main, overall health, paused state. */
import { fire, setCostsOpen, setPaused, setShortcutsOpen } from '../../store/actions.ts';
import { showFleetImages } from '../../store/image-actions.ts';
import { useAppStore } from '../../store/index.ts';
import { plural } from '../../ui/format.ts';

export function StatusBar(): React.JSX.Element {
  const connection = useAppStore((s) => s.connection);
  const health = useAppStore((s) => s.health);
  const shell = useAppStore((s) => s.capabilities?.shell);
  const version = useAppStore((s) => s.capabilities?.version);
  const workloads = useAppStore((s) => Object.keys(s.workloads).length);
  const objects = useAppStore((s) => Object.keys(s.objects).length);
  return (
    <footer className="statusbar" data-testid="statusbar">
      <span className={`conn is-${connection}`} data-testid="connection" data-state={connection}>
        {connection === 'open'
          ? shell === 'browser'
            ? 'fluxdeck serve'
            : 'connected'
          : connection === 'connecting'
            ? 'connecting…'
            : 'disconnected, retrying…'}
      </span>
      {health && (
        <span className={`health is-${health.overall}`} data-testid="health" data-overall={health.overall}>
          {health.overall}
          {health.failing > 0 && ` · ${health.failing} failing`}
          {health.unhealthyWorkloads > 0 && ` · ${plural(health.unhealthyWorkloads, 'unhealthy workload')}`}
          {health.progressing > 0 && ` · ${health.progressing} reconciling`}
          {health.suspended > 0 && ` · ${health.suspended} suspended`}
        </span>
      )}
      <span className="muted">
        {plural(objects, 'Flux object')} · {plural(workloads, 'workload')}
      </span>
      <span className="statusbar__spacer" />
      {health && (
        <button
          type="button"
          className={`linklike${health.paused ? ' is-paused' : ''}`}
          onClick={() => fire(setPaused(!health.paused))}
          title={
            health.paused
              ? 'Reconciling is paused on every cluster; click to resume'
              : 'Pause reconciling on every cluster'
          }
        >
          {health.paused ? '⏸ reconciling paused' : 'pause reconciling'}
        </button>
      )}
      <button
        type="button"
        className="linklike"
        data-testid="open-fleet-images"
        title="Which image tag runs in which cluster and workload, and where it differs from an ImagePolicy"
        onClick={showFleetImages}
      >
        images
      </button>
      <button
        type="button"
        className="linklike"
        data-testid="open-costs"
        title="Memory, API requests and reconcile times per cluster"
        onClick={() => setCostsOpen(true)}
      >
        costs
      </button>
      <button type="button" className="linklike" onClick={() => setShortcutsOpen(true)}>
        shortcuts ?
      </button>
      {version && <span className="muted">v{version}</span>}
    </footer>
  );
}
