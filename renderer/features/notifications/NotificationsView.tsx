/**
 * Flux's notification API across every connected cluster: Providers with their last deliveries and "send test event",
 * Alerts, and Receivers with their webhook URL when the receiver server runs; and the local settings (receiver server,
 * desktop notifications). Asked of main when shown and every few seconds while shown; no Secret value ever reaches
 * this view (main sends spec.address only, and masks Secret values out of delivery errors).
 */
import { useState } from 'react';

import type {
  AlertView,
  ClusterNotifications,
  Delivery,
  NotificationHealth,
  ProviderView,
  ReceiverView,
} from '../../../main/contract/index.ts';
import { describeFailure, transport } from '../../store/actions.ts';
import { usePolled } from '../../store/use-polled.ts';
import { formatMillis } from '../../ui/format.ts';
import type { NodeStatus } from '../../ui/node-status.ts';
import { StatusDot } from '../../ui/StatusDot.tsx';
import { NotificationSettingsForm } from './NotificationSettingsForm.tsx';

const REFRESH_MS = 3000;

const DOT: Record<NotificationHealth, NodeStatus> = {
  ready: 'ready',
  suspended: 'suspended',
  failing: 'failed',
  unknown: 'unknown',
};

function Health({ health, message }: { health: NotificationHealth; message: string }): React.JSX.Element {
  return (
    <span className="notif-health" title={message}>
      <StatusDot status={DOT[health]} /> {health}
    </span>
  );
}

function Deliveries({ rows }: { rows: Delivery[] }): React.JSX.Element {
  if (rows.length === 0)
    return <p className="muted">No delivery yet: send a test event, or wait for an event an Alert selects.</p>;
  return (
    <table className="notif-table" data-testid="deliveries">
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
          <tr
            key={`${d.time}/${d.event.reason}/${d.attempts}`}
            className={d.ok ? undefined : 'is-failed'}
            data-testid="delivery"
            data-status={d.status ?? ''}
          >
            <td>{new Date(d.time).toLocaleTimeString()}</td>
            <td>{d.test ? 'test event' : `${d.event.kind}/${d.event.name} ${d.event.reason}`}</td>
            <td>{d.status ?? '—'}</td>
            <td>{formatMillis(d.latencyMs)}</td>
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
    <section
      className={`notif-card${p.health === 'failing' ? ' is-failing' : ''}`}
      data-testid="provider"
      data-name={p.name}
      data-health={p.health}
    >
      <header className="notif-card__head">
        <span className="pill pill--muted">{p.type}</span>
        <strong>
          {p.namespace}/{p.name}
        </strong>
        <Health health={p.health} message={p.message} />
        <span className="notif-card__spacer" />
        <button
          type="button"
          className="btn btn--small"
          data-testid="send-test"
          disabled={sending || p.health === 'suspended'}
          title={p.health === 'suspended' ? 'Resume the Provider to send' : 'Send a test event through this Provider'}
          onClick={send}
        >
          {sending ? 'Sending…' : 'Send test event'}
        </button>
      </header>
      <p className="muted">
        {p.address ?? (p.secretName ? `address from Secret ${p.secretName}` : 'no address')}
        {p.channel && ` · channel ${p.channel}`}
        {p.alerts.length > 0
          ? ` · used by ${p.alerts.join(', ')}`
          : ' · no Alert uses it yet: events reach it only through an Alert'}
      </p>
      {p.health !== 'ready' && p.message && <p className="error-text">{p.message}</p>}
      {error && <p className="error-text">Test event not sent: {error}</p>}
      <Deliveries rows={p.deliveries} />
    </section>
  );
}

function AlertsTable({ alerts }: { alerts: AlertView[] }): React.JSX.Element {
  return (
    <table className="notif-table" data-testid="alerts">
      <thead>
        <tr>
          <th>Alert</th>
          <th>Provider</th>
          <th>Severity</th>
          <th>Event sources</th>
          <th>Health</th>
        </tr>
      </thead>
      <tbody>
        {alerts.map((a) => (
          <tr key={`${a.namespace}/${a.name}`} data-testid="alert" data-health={a.health}>
            <td>
              {a.namespace}/{a.name}
            </td>
            <td>{a.provider}</td>
            <td>{a.eventSeverity}</td>
            <td>{a.sources.join(', ')}</td>
            <td>
              <Health health={a.health} message={a.message} />
              {a.health !== 'ready' && a.message && <div className="error-text">{a.message}</div>}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function ReceiversTable({ receivers }: { receivers: ReceiverView[] }): React.JSX.Element {
  return (
    <table className="notif-table" data-testid="receivers">
      <thead>
        <tr>
          <th>Receiver</th>
          <th>Type</th>
          <th>Webhook</th>
          <th>Resources</th>
          <th>Health</th>
        </tr>
      </thead>
      <tbody>
        {receivers.map((r) => (
          <tr key={`${r.namespace}/${r.name}`} data-testid="receiver" data-health={r.health}>
            <td>
              {r.namespace}/{r.name}
            </td>
            <td>{r.type}</td>
            <td>
              <code>{r.url ?? r.webhookPath ?? 'no webhook path yet'}</code>
            </td>
            <td>{r.resources.join(', ')}</td>
            <td>
              <Health health={r.health} message={r.message} />
              {r.health !== 'ready' && r.message && <div className="error-text">{r.message}</div>}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function ClusterSection({ c, reload }: { c: ClusterNotifications; reload: () => void }): React.JSX.Element {
  const empty = c.providers.length + c.alerts.length + c.receivers.length === 0;
  return (
    <section className="notif-cluster" data-testid="notifications-cluster" data-cluster={c.cluster}>
      <h2>{c.cluster}</h2>
      {c.error && <p className="error-text">{c.error}</p>}
      {empty && !c.error && (
        <p className="muted" data-testid="notifications-empty">
          No Providers, Alerts or Receivers here. Create a Provider (notification.toolkit.fluxcd.io/v1beta3) and an
          Alert that points at it, with kubectl apply or from the Editor, to send Flux events to chat, a webhook or a
          Git commit status.
        </p>
      )}
      {c.providers.length > 0 && <h3>Providers</h3>}
      {c.providers.map((p) => (
        <ProviderCard key={`${p.namespace}/${p.name}`} p={p} reload={reload} />
      ))}
      {c.alerts.length > 0 && (
        <>
          <h3>Alerts</h3>
          <AlertsTable alerts={c.alerts} />
        </>
      )}
      {c.receivers.length > 0 && (
        <>
          <h3>Receivers</h3>
          <ReceiversTable receivers={c.receivers} />
        </>
      )}
    </section>
  );
}

export function NotificationsView(): React.JSX.Element {
  const { data: overview, error, reload } = usePolled('notifications:overview', {}, REFRESH_MS);
  const [settingsOpen, setSettingsOpen] = useState(false);
  const server = overview?.receiverServer;
  return (
    <div className="notif" data-testid="notifications-view">
      <div className="notif__bar">
        <h2>Notifications</h2>
        {server && (
          <span data-testid="receiver-server" className={server.error ? 'error-text' : 'muted'}>
            {server.running
              ? `Receiver server listening on ${server.url ?? ''}`
              : 'Receiver server off (turn it on in the settings, or start with --receiver-addr)'}
            {server.error && ` — ${server.error}`}
          </span>
        )}
        <span className="notif-card__spacer" />
        <button
          type="button"
          className="btn btn--small"
          aria-expanded={settingsOpen}
          data-testid="toggle-settings"
          onClick={() => setSettingsOpen((o) => !o)}
        >
          {settingsOpen ? 'Hide settings' : 'Settings'}
        </button>
      </div>
      <div className="notif__body">
        {error && <p className="error-text">Could not read the notification objects: {error}</p>}
        {settingsOpen && overview && (
          <NotificationSettingsForm
            settings={overview.settings}
            receiverServer={overview.receiverServer}
            onSaved={reload}
          />
        )}
        {!overview ? (
          <p className="muted">Loading…</p>
        ) : overview.clusters.length === 0 ? (
          <p className="muted">No cluster is connected: connect one in the sidebar.</p>
        ) : (
          overview.clusters.map((c) => <ClusterSection key={c.cluster} c={c} reload={reload} />)
        )}
      </div>
    </div>
  );
}
