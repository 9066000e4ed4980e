/**
 * Every kubeconfig context, with its connection state and auth health. Nothing connects on its own (login storms are
 * what users hate in multi-cluster tools): the user connects what they want. Clicking a connected context shows only
 * its graph; "All clusters" shows them together.
 */
import { memo } from 'react';
import { useShallow } from 'zustand/react/shallow';

import type { ClusterInfo } from '../../../main/contract/index.ts';
import { connectCluster, disconnectCluster, fire, setScope } from '../../store/actions.ts';
import { useAppStore } from '../../store/index.ts';
import { EngineTag } from '../../ui/EngineTag.tsx';
import { hostOf } from '../../ui/format.ts';
import { openBootstrap } from '../bootstrap/actions.ts';

const AUTH_LABEL: Record<ClusterInfo['auth']['method'], string> = {
  'client-certificate': 'cert',
  token: 'token',
  exec: 'exec',
  oidc: 'oidc',
  basic: 'basic',
  none: 'none',
  unknown: '?',
};

function counts(
  objects: ReturnType<typeof useAppStore.getState>['objects'],
  cluster: string,
): { total: number; failing: number } {
  let total = 0;
  let failing = 0;
  for (const o of Object.values(objects)) {
    if (o.cluster !== cluster) continue;
    total++;
    if (o.state.status === 'failed') failing++;
  }
  return { total, failing };
}

/** A flux-system Kustomization in the cluster (in any namespace): it is under GitOps already. */
function hasFluxSystem(objects: ReturnType<typeof useAppStore.getState>['objects'], cluster: string): boolean {
  return Object.values(objects).some(
    (o) => o.cluster === cluster && o.kind === 'Kustomization' && o.name === 'flux-system',
  );
}

const ClusterRow = memo(function ClusterRow(props: { name: string }) {
  const info = useAppStore((s) => s.clusters[props.name]);
  const busy = useAppStore((s) => s.clusterBusy[props.name]);
  const active = useAppStore((s) => s.scope === props.name);
  const stats = useAppStore(useShallow((s) => counts(s.objects, props.name)));
  const synced = useAppStore((s) => hasFluxSystem(s.objects, props.name));
  if (!info) return null;
  const connected = info.state === 'connected';
  const state = busy ?? info.state;
  const authProblem = info.auth.status !== 'ok' && info.auth.status !== 'unknown';
  return (
    <li
      className={`cluster is-${info.state}${active ? ' is-active' : ''}`}
      data-testid="cluster-row"
      data-cluster={info.name}
      data-state={info.state}
    >
      <button
        type="button"
        className="cluster__main"
        disabled={!connected}
        onClick={() => setScope(active ? 'all' : info.name)}
        title={connected ? (active ? 'Show all clusters' : `Show only ${info.name}`) : info.server}
      >
        <span className={`cdot cdot--${state}`} aria-label={state} />
        <span className="cluster__name">{info.name}</span>
        {info.current && <span className="cluster__tag">current</span>}
      </button>
      <div className="cluster__meta">
        <span className="cluster__host">{hostOf(info.server)}</span>
        <span
          className={`cluster__auth${authProblem ? ' is-bad' : ''}`}
          title={info.auth.hint ?? `auth: ${info.auth.method}`}
        >
          {AUTH_LABEL[info.auth.method]}
          {authProblem ? ` · ${info.auth.status}` : ''}
        </span>
        {connected && (
          <span className="cluster__count">
            {stats.total}
            {stats.failing > 0 && <em> · {stats.failing}✕</em>}
          </span>
        )}
        {info.engine ? (
          <EngineTag engine={info.engine} className="cluster__tag" testId="cluster-engine" />
        ) : (
          info.mode === 'observing' && (
            <span
              className="cluster__tag"
              title="In-cluster Flux (or another Fluxdeck) reconciles here; Fluxdeck only watches"
            >
              observe
            </span>
          )
        )}
      </div>
      {info.observingWhy && !info.error && (
        <p className="cluster__note" data-testid="cluster-observing-why">
          {info.observingWhy}
        </p>
      )}
      {(info.error ?? (authProblem ? info.auth.hint : undefined)) && (
        <p className="cluster__error" role="status">
          {info.error ?? info.auth.hint}
        </p>
      )}
      {connected && (!synced || info.engine?.kind === 'none') && (
        <button
          type="button"
          className="cluster__action cluster__bootstrap"
          onClick={() => openBootstrap(info.name)}
          title="Put this cluster under GitOps: write flux-system to a Git repository, push and apply it"
          data-testid="bootstrap"
        >
          Bootstrap…
        </button>
      )}
      <button
        type="button"
        className="cluster__action"
        disabled={busy !== undefined || info.state === 'connecting'}
        onClick={() => fire(connected ? disconnectCluster(info.name) : connectCluster(info.name))}
        data-testid={connected ? 'disconnect' : 'connect'}
      >
        {busy === 'connecting' || info.state === 'connecting'
          ? 'Connecting…'
          : busy === 'disconnecting'
            ? 'Disconnecting…'
            : connected
              ? 'Disconnect'
              : info.state === 'error'
                ? 'Retry'
                : 'Connect'}
      </button>
    </li>
  );
});

export function ClustersSidebar(): React.JSX.Element {
  const order = useAppStore((s) => s.clusterOrder);
  const scope = useAppStore((s) => s.scope);
  const anyConnected = useAppStore((s) => Object.values(s.clusters).some((c) => c.state === 'connected'));
  return (
    <nav className="sidebar" aria-label="Clusters">
      <div className="sidebar__head">
        <span className="sidebar__title">Clusters</span>
        <span className="sidebar__count">{order.length}</span>
      </div>
      <button
        type="button"
        className={`scope-all${scope === 'all' ? ' is-active' : ''}`}
        disabled={!anyConnected}
        onClick={() => setScope('all')}
      >
        All connected clusters
      </button>
      <ul className="clusters">
        {order.map((name) => (
          <ClusterRow key={name} name={name} />
        ))}
      </ul>
    </nav>
  );
}
