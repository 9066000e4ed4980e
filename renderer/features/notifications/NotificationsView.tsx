/**
 * Flux's notification API across every connected cluster: Providers with their last deliveries and "send test event",
 * Alerts, and Receivers with their webhook URL when the receiver server runs. Asked of main when shown and every few
 * seconds while shown; no Secret value ever reaches this view (main sends spec.address only).
 */
import { useEffect, useState } from 'react';

import type { Delivery, NotificationsOverview, ProviderView } from '../../../main/contract/index.ts';
import { describeFailure, transport } from '../../store/actions.ts';

const REFRESH_MS = 3000;

function Deliveries({ rows }: { rows: Delivery[] }): React.JSX.Element {
  if (rows.length === 0) return <p className="muted">No delivery yet.</p>;
  return (
    <table className="conditions" data-testid="deliveries">
      <thead>
        <tr>
          <th>Time</th>
          <th>Event</th>
          <th>Status</th>
          <th>Latency</th>
          <th>Attempts</th>
          <th>Error</th>
        </tr>
      </thead>
      <tbody>
        {rows.slice(0, 10).map((d) => (
          <tr key={`${d.time}/${d.event.reason}/${d.attempts}`} data-testid="delivery" data-status={d.status ?? ''}>
            <td>{new Date(d.time).toLocaleTimeString()}</td>
            <td>{d.test ? 'test event' : `${d.event.kind}/${d.event.name} ${d.event.reason}`}</td>
            <td className={d.ok ? undefined : 'error-text'}>{d.status ?? '—'}</td>
            <td>{d.latencyMs} ms</td>
            <td>{d.attempts}</td>
            <td className="error-text">{d.error ?? ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function ProviderCard({ p, reload }: { p: ProviderView; reload: () => void }): React.JSX.Element {
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<string>();
  const send = (): void => {
    setSending(true);
    setError(undefined);
    transport()
      .invoke('notifications:sendTest', { provider: { cluster: p.cluster, namespace: p.namespace, name: p.name } })
      .then(reload, (err: unknown) => setError(describeFailure(err).message))
      .finally(() => setSending(false));
  };
  return (
    <section className="panel-section" data-testid="provider" data-name={p.name} data-health={p.health}>
      <h3>
        Provider {p.namespace}/{p.name} <span className="muted">({p.type})</span> · {p.health}
      </h3>
      <p className="muted">
        {p.address ?? (p.secretName ? `address from Secret ${p.secretName}` : 'no address')}
        {p.alerts.length > 0 && ` · Alerts: ${p.alerts.join(', ')}`}
      </p>
      {p.message && <p className="error-text">{p.message}</p>}
      <button type="button" data-testid="send-test" disabled={sending || p.health === 'suspended'} onClick={send}>
        {sending ? 'Sending…' : 'Send test event'}
      </button>
      {error && <p className="error-text">{error}</p>}
      <Deliveries rows={p.deliveries} />
    </section>
  );
}

export function NotificationsView(): React.JSX.Element {
  const [state, setState] = useState<{ overview?: NotificationsOverview; error?: string }>({});
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    const load = (): void => {
      transport()
        .invoke('notifications:overview', {})
        .then((overview) => live && setState({ overview }))
        .catch((err: unknown) => live && setState((s) => ({ ...s, error: describeFailure(err).message })));
    };
    load();
    const timer = setInterval(load, REFRESH_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [tick]);
  const { overview, error } = state;
  const reload = (): void => setTick((t) => t + 1);
  return (
    <div className="inbox" data-testid="notifications-view">
      <h2>Notifications</h2>
      {error && <p className="error-text">Could not read the notification objects: {error}</p>}
      {!overview ? (
        <p className="muted">Loading…</p>
      ) : (
        <>
          <p data-testid="receiver-server">
            {overview.receiverServer.running
              ? `Receiver server listening on ${overview.receiverServer.url ?? ''}`
              : 'Receiver server off: start with --receiver-addr, or turn on the receiver setting.'}
            {overview.receiverServer.error && <span className="error-text"> {overview.receiverServer.error}</span>}
          </p>
          {overview.clusters.length === 0 && (
            <p className="muted">No cluster is connected: connect one in the sidebar.</p>
          )}
          {overview.clusters.map((c) => (
            <div key={c.cluster} data-testid="notifications-cluster" data-cluster={c.cluster}>
              <h2>{c.cluster}</h2>
              {c.error && <p className="error-text">{c.error}</p>}
              {c.providers.map((p) => (
                <ProviderCard key={`${p.namespace}/${p.name}`} p={p} reload={reload} />
              ))}
              {c.alerts.map((a) => (
                <p key={`${a.namespace}/${a.name}`} data-testid="alert" data-health={a.health}>
                  Alert {a.namespace}/{a.name} → {a.provider} · {a.eventSeverity} · {a.sources.join(', ')} · {a.health}
                  {a.message && <span className="error-text"> {a.message}</span>}
                </p>
              ))}
              {c.receivers.map((r) => (
                <p key={`${r.namespace}/${r.name}`} data-testid="receiver" data-health={r.health}>
                  Receiver {r.namespace}/{r.name} ({r.type}) · {r.url ?? r.webhookPath ?? 'no webhook path yet'} ·{' '}
                  {r.health}
                  {r.message && <span className="error-text"> {r.message}</span>}
                </p>
              ))}
            </div>
          ))}
        </>
      )}
    </div>
  );
}
