/**
 * The alert inbox: every warning, failure, corrected drift and rule alert from all clusters, newest activity first,
 * with filters (cluster, kind, severity, state, text), and for the selected item what happened, the drift field by
 * field, and what to do: acknowledge, mark unread, mute the object or the cluster, show it in the graph.
 */
import { useShallow } from 'zustand/react/shallow';

import type { InboxItem, Severity } from '../../../main/contract/index.ts';
import { fire } from '../../store/actions.ts';
import {
  acknowledge,
  jumpTo,
  markRead,
  muteCluster,
  muteObject,
  selectInboxItem,
  setInboxFilter,
  unmute,
} from '../../store/inbox-actions.ts';
import { useAppStore } from '../../store/index.ts';
import type { InboxViewFilter } from '../../store/slices/inbox.ts';
import { kindAbbrev, plural, timeAgo } from '../../ui/format.ts';
import { Segmented } from '../../ui/Segmented.tsx';
import { VirtualList } from '../../ui/VirtualList.tsx';
import { DriftTable } from './FieldChanges.tsx';

export const RULE_LABELS: Record<InboxItem['rule'], string> = {
  'reconcile-failed': 'Reconcile failed',
  warning: 'Warning',
  'drift-corrected': 'Drift corrected',
  suspended: 'Suspended too long',
  'source-stale': 'Source not fetched',
  'cluster-auth': 'Cluster auth failing',
  'image-update': 'Image update',
};

/** A `warning` event ranked info is a wait on something on its way (an ImagePolicy before its first scan). */
function ruleLabel(i: InboxItem): string {
  return i.rule === 'warning' && i.severity === 'info' ? 'Waiting' : RULE_LABELS[i.rule];
}

const KINDS = [
  'Kustomization',
  'GitRepository',
  'HelmRelease',
  'OCIRepository',
  'HelmRepository',
  'Bucket',
  'ImagePolicy',
  'ImageUpdateAutomation',
];
const SEVERITIES: { id: Severity | ''; label: string }[] = [
  { id: '', label: 'All' },
  { id: 'error', label: 'Errors' },
  { id: 'warning', label: 'Warnings' },
  { id: 'info', label: 'Info' },
];
const STATES: { id: InboxViewFilter['state']; label: string; title: string }[] = [
  { id: 'open', label: 'Open', title: 'Everything not acknowledged' },
  { id: 'unread', label: 'Unread', title: 'Unread and not muted' },
  { id: 'all', label: 'All', title: 'Acknowledged items too' },
];

const subject = (i: InboxItem): string =>
  i.object ? `${i.object.namespace ? `${i.object.namespace}/` : ''}${i.object.name}` : i.cluster;

function Filters(): React.JSX.Element {
  const f = useAppStore((s) => s.inboxFilter);
  const clusters = useAppStore((s) => s.clusterOrder);
  const counts = useAppStore((s) => s.inboxCounts);
  return (
    <div className="inbox__filters">
      <div className="search inbox__search">
        <span className="search__icon" aria-hidden>
          ⌕
        </span>
        <input
          type="search"
          placeholder="Search messages, reasons, objects"
          value={f.text}
          spellCheck={false}
          aria-label="Search the inbox"
          data-testid="inbox-search"
          onChange={(e) => setInboxFilter({ text: e.target.value })}
        />
      </div>
      <select
        className="select"
        aria-label="Cluster"
        value={f.cluster}
        onChange={(e) => setInboxFilter({ cluster: e.target.value })}
        data-testid="inbox-cluster"
      >
        <option value="">All clusters</option>
        {clusters.map((c) => (
          <option key={c} value={c}>
            {c}
            {counts.unreadByCluster[c] ? ` (${counts.unreadByCluster[c]})` : ''}
          </option>
        ))}
      </select>
      <select
        className="select"
        aria-label="Kind"
        value={f.kind}
        onChange={(e) => setInboxFilter({ kind: e.target.value })}
        data-testid="inbox-kind"
      >
        <option value="">All kinds</option>
        {KINDS.map((k) => (
          <option key={k} value={k}>
            {k}
          </option>
        ))}
      </select>
      <Segmented
        label="Severity"
        options={SEVERITIES}
        value={f.severity}
        onChange={(severity) => setInboxFilter({ severity })}
      />
      <Segmented
        label="State"
        options={STATES}
        value={f.state}
        onChange={(state) => setInboxFilter({ state })}
        testIdPrefix="inbox-state-"
      />
      <div className="toolbar__spacer" />
      <button
        type="button"
        className="btn btn--ghost"
        disabled={counts.unread === 0}
        onClick={() => fire(markRead('all', true))}
      >
        Mark all read
      </button>
    </div>
  );
}

function Row(props: { item: InboxItem; selected: boolean }): React.JSX.Element {
  const i = props.item;
  const unread = !i.read && !i.muted;
  return (
    <button
      type="button"
      className={`inbox-row is-${i.severity}${props.selected ? ' is-selected' : ''}${unread ? ' is-unread' : ''}${i.acknowledged ? ' is-acknowledged' : ''}`}
      onClick={() => selectInboxItem(i.id)}
      data-testid="inbox-item"
      data-id={i.id}
      data-rule={i.rule}
      data-severity={i.severity}
      data-read={String(i.read)}
      data-acknowledged={String(i.acknowledged)}
    >
      <span className={`sev sev--${i.severity}`} aria-label={i.severity} />
      <span className="inbox-row__main">
        <span className="inbox-row__top">
          <span className="inbox-row__rule">{ruleLabel(i)}</span>
          {i.object && <span className="gnode__kind">{kindAbbrev(i.object.kind)}</span>}
          <span className="inbox-row__subject">{subject(i)}</span>
          {i.count > 1 && <span className="tl__count">×{i.count}</span>}
          {i.muted && <span className="pill pill--muted">muted</span>}
          {i.acknowledged && <span className="pill pill--ack">acknowledged</span>}
          {i.resolvedAt && <span className="pill pill--ok">resolved</span>}
        </span>
        <span className="inbox-row__message">{i.message.split('\n')[0]}</span>
      </span>
      <span className="inbox-row__meta">
        <span>{i.cluster}</span>
        <span title={i.lastSeen}>{timeAgo(i.lastSeen)}</span>
      </span>
    </button>
  );
}

function Detail(props: { item: InboxItem }): React.JSX.Element {
  const i = props.item;
  const object = i.object;
  return (
    <div className="inbox-detail" data-testid="inbox-detail" data-id={i.id} data-acknowledged={String(i.acknowledged)}>
      <header className="inbox-detail__head">
        <span className={`sev sev--${i.severity}`} />
        <h2>{ruleLabel(i)}</h2>
        <span className="muted">{i.reason}</span>
      </header>
      <dl className="facts">
        <dt>Object</dt>
        <dd>
          {object ? (
            <button type="button" className="link" onClick={() => jumpTo(i.cluster, object)} data-testid="inbox-jump">
              {object.kind} {subject(i)}
            </button>
          ) : (
            'the whole cluster'
          )}
        </dd>
        <dt>Cluster</dt>
        <dd>{i.cluster}</dd>
        <dt>Seen</dt>
        <dd title={`${i.firstSeen} – ${i.lastSeen}`}>
          {i.count > 1 ? `${i.count} times, first ${timeAgo(i.firstSeen)} ago, last ` : ''}
          {timeAgo(i.lastSeen)} ago
        </dd>
        {i.revision && (
          <>
            <dt>Revision</dt>
            <dd>
              <code>{i.revision}</code>
            </dd>
          </>
        )}
        {i.source && (
          <>
            <dt>Reported by</dt>
            <dd>{i.source}</dd>
          </>
        )}
        {i.resolvedAt && (
          <>
            <dt>Resolved</dt>
            <dd>{timeAgo(i.resolvedAt)} ago</dd>
          </>
        )}
      </dl>
      <pre className="inbox-detail__message">{i.message}</pre>
      <div className="inbox-detail__actions">
        <button
          type="button"
          className="btn btn--primary"
          onClick={() => fire(acknowledge([i.id], !i.acknowledged))}
          data-testid="inbox-acknowledge"
        >
          {i.acknowledged ? 'Unacknowledge' : 'Acknowledge'}
        </button>
        <button type="button" className="btn" onClick={() => fire(markRead([i.id], !i.read))}>
          Mark {i.read ? 'unread' : 'read'}
        </button>
        {object && (
          <button type="button" className="btn" onClick={() => fire(muteObject(i))} title="Hide this object's alerts">
            Mute {object.kind} {object.name}
          </button>
        )}
        <button type="button" className="btn" onClick={() => fire(muteCluster(i.cluster))}>
          Mute {i.cluster}
        </button>
      </div>
      {i.drift && i.drift.length > 0 && (
        <>
          <h3 className="section-title">What drifted, who changed it, what was put back</h3>
          <DriftTable objects={i.drift} onJump={(o) => jumpTo(i.cluster, o.ref, 'drift')} />
        </>
      )}
    </div>
  );
}

function Mutes(): React.JSX.Element | null {
  const mutes = useAppStore((s) => s.inboxMutes);
  if (mutes.length === 0) return null;
  return (
    <div className="inbox__mutes">
      <h3 className="section-title">Muted</h3>
      {mutes.map((m) => (
        <div key={m.id} className="mute-row">
          <span>
            {m.object ? `${m.object.kind} ${m.object.namespace}/${m.object.name} in ` : 'everything in '}
            {m.cluster}
            {m.until && <span className="muted"> until {new Date(m.until).toLocaleString()}</span>}
          </span>
          <button type="button" className="linklike" onClick={() => fire(unmute(m.id))}>
            Unmute
          </button>
        </div>
      ))}
    </div>
  );
}

export function InboxView(): React.JSX.Element {
  const items = useAppStore(
    useShallow((s) => s.inboxOrder.map((id) => s.inboxItems[id]).filter((i) => i !== undefined)),
  );
  const total = useAppStore((s) => s.inboxTotal);
  const status = useAppStore((s) => s.inboxStatus);
  const error = useAppStore((s) => s.inboxError);
  const selectedId = useAppStore((s) => s.inboxSelected);
  const selected = useAppStore((s) => (s.inboxSelected === undefined ? undefined : s.inboxItems[s.inboxSelected]));
  return (
    <div className="inbox" data-testid="inbox">
      <Filters />
      <div className="inbox__body">
        <div className="inbox__list">
          <div className="inbox__summary muted">
            {status === 'loading' && items.length === 0 ? (
              'Loading…'
            ) : status === 'error' ? (
              <span className="error-text">{error}</span>
            ) : total > items.length ? (
              `Showing the newest ${items.length} of ${total}`
            ) : (
              plural(total, 'item')
            )}
          </div>
          {items.length === 0 && status === 'ready' ? (
            <div className="inbox__empty">
              <strong>Nothing here.</strong>
              <span>Failures, warnings and corrected drift from every connected cluster appear as they happen.</span>
            </div>
          ) : (
            <VirtualList
              className="inbox__rows"
              label="Alerts"
              items={items}
              rowHeight={58}
              renderRow={(i) => <Row item={i} selected={i.id === selectedId} />}
            />
          )}
          <Mutes />
        </div>
        <div className="inbox__detail">
          {selected ? (
            <Detail item={selected} />
          ) : (
            <p className="muted inbox__hint">Select an item to see what happened and what to do.</p>
          )}
        </div>
      </div>
    </div>
  );
}
