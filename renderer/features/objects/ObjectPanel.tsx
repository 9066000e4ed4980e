/**
 * The object panel: what the selected object is doing and why. Conditions, revisions, the events timeline, its
 * inventory, live YAML and (for Kustomizations) what applying would change. Summary data comes from the store, which
 * main keeps current; YAML and events are fetched when the selection changes and again when the object changes.
 */
import { useShallow } from 'zustand/react/shallow';

import type { FluxObject, KubeEvent, Workload } from '../../../main/contract/index.ts';
import { fire, focusNode, hasDriftView, select, setPanelTab } from '../../store/actions.ts';
import { type Identity, identityOf, nodeIdOf } from '../../store/ids.ts';
import { useAppStore } from '../../store/index.ts';
import type { PanelTab } from '../../store/slices/ui.ts';
import { kindAbbrev, timeAgo } from '../../ui/format.ts';
import { StatusDot, statusLabel } from '../../ui/StatusDot.tsx';
import { VirtualList } from '../../ui/VirtualList.tsx';
import { editObject, openWorkTreeFor, repoOfNode } from '../editor/actions.ts';
import { HEALTH_STATUS, type NodeStatus, shortRevision } from '../graph/projection.ts';
import { DriftTable } from '../inbox/FieldChanges.tsx';
import { HelmDialogs, HelmReleaseTab } from './HelmReleaseTab.tsx';
import { ImageAutomationTab, ImageDiffDialog } from './ImageAutomationTab.tsx';
import { ImagePolicyTab } from './ImagePolicyTab.tsx';
import { SyncControls } from './SyncControls.tsx';
import { YamlView } from './YamlView.tsx';

const same = (a: Identity, b: Identity): boolean =>
  a.cluster === b.cluster &&
  a.group === b.group &&
  a.kind === b.kind &&
  a.namespace === b.namespace &&
  a.name === b.name;

function Fact(props: { label: string; children: React.ReactNode }): React.JSX.Element | null {
  const c = props.children;
  if (c === undefined || c === null || c === false || c === '') return null;
  return (
    <>
      <dt>{props.label}</dt>
      <dd>{props.children}</dd>
    </>
  );
}

function Link(props: { id: Identity; label?: string }): React.JSX.Element {
  return (
    <button type="button" className="link" onClick={() => focusNode(nodeIdOf(props.id))}>
      {props.label ?? `${props.id.kind} ${props.id.namespace ? `${props.id.namespace}/` : ''}${props.id.name}`}
    </button>
  );
}

function Conditions(props: { obj: FluxObject }): React.JSX.Element {
  if (props.obj.conditions.length === 0) return <p className="muted">No conditions reported yet.</p>;
  return (
    <table className="conditions">
      <thead>
        <tr>
          <th>Type</th>
          <th>Status</th>
          <th>Reason</th>
          <th>Age</th>
        </tr>
      </thead>
      <tbody>
        {props.obj.conditions.map((c) => (
          <tr key={c.type} className={`cond is-${c.status.toLowerCase()}`} title={c.message}>
            <td>{c.type}</td>
            <td className="cond__status">{c.status}</td>
            <td>
              {c.reason}
              {c.message && <div className="cond__message">{c.message}</div>}
            </td>
            <td className="muted">{timeAgo(c.lastTransitionTime)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Inventory(props: { obj: FluxObject }): React.JSX.Element {
  const workloads = useAppStore((s) => s.workloads);
  const objects = useAppStore((s) => s.objects);
  const entries = props.obj.inventory ?? [];
  if (entries.length === 0) return <p className="muted">The inventory is empty.</p>;
  const statusOf = (id: Identity): NodeStatus | undefined => {
    const w = Object.values(workloads).find((x) => same(x, id));
    if (w) return HEALTH_STATUS[w.health];
    return Object.values(objects).find((o) => same(o, id))?.state.status;
  };
  const rows = entries.map((ref) => ({ ...ref, cluster: props.obj.cluster }));
  return (
    <VirtualList
      className="inventory"
      label="Inventory"
      items={rows}
      rowHeight={26}
      renderRow={(r) => {
        const status = statusOf(r);
        return (
          <button
            type="button"
            className="inv-row"
            onClick={() => focusNode(nodeIdOf(r))}
            title={`${r.group || 'core'} ${r.kind}`}
          >
            {status ? <StatusDot status={status} /> : <span className="dot dot--none" />}
            <span className="inv-row__kind">{kindAbbrev(r.kind)}</span>
            <span className="inv-row__name">
              {r.namespace && <span className="muted">{r.namespace}/</span>}
              {r.name}
            </span>
          </button>
        );
      }}
    />
  );
}

function Events(props: { events: KubeEvent[] | undefined; loading: boolean }): React.JSX.Element {
  if (props.loading && !props.events) return <p className="muted">Loading events…</p>;
  const events = [...(props.events ?? [])].reverse();
  if (events.length === 0) return <p className="muted">No events. Kubernetes keeps events for about an hour.</p>;
  return (
    <ol className="timeline" data-testid="events">
      {events.map((e, i) => (
        <li key={i} className={`tl tl--${e.type.toLowerCase()}`}>
          <div className="tl__head">
            <span className="tl__reason">{e.reason}</span>
            {e.count > 1 && <span className="tl__count">×{e.count}</span>}
            <span className="tl__time" title={e.lastSeen}>
              {timeAgo(e.lastSeen ?? e.firstSeen)}
            </span>
          </div>
          <div className="tl__message">{e.message}</div>
          {e.source && <div className="tl__source">{e.source}</div>}
        </li>
      ))}
    </ol>
  );
}

function DiffTab(props: { nodeId: string }): React.JSX.Element {
  const diff = useAppStore((s) => (s.diff?.nodeId === props.nodeId ? s.diff : undefined));
  if (!diff || diff.status === 'loading') return <p className="muted">Building and comparing with the cluster…</p>;
  if (diff.status === 'error') return <p className="error-text">{diff.error}</p>;
  const entries = diff.diff?.entries.filter((e) => e.action !== 'unchanged') ?? [];
  if (entries.length === 0)
    return (
      <p className="muted" data-testid="diff-in-sync">
        In sync with {diff.diff?.revision ?? 'the source'}: applying now would change nothing.
      </p>
    );
  return (
    <div className="diff" data-testid="diff">
      {diff.diff?.revision && <p className="muted">Against {diff.diff.revision}</p>}
      {entries.map((e) => (
        <section key={`${e.ref.kind}/${e.ref.namespace}/${e.ref.name}`} className="diff__entry">
          <header className={`diff__head is-${e.action}`}>
            <span className="diff__action">{e.action}</span> {e.ref.kind} {e.ref.namespace && `${e.ref.namespace}/`}
            {e.ref.name}
          </header>
          {e.diff && (
            <pre className="diff__body">
              {e.diff.split('\n').map((line, i) => (
                <span
                  key={i}
                  className={
                    line.startsWith('+') ? 'add' : line.startsWith('-') ? 'del' : line.startsWith('@@') ? 'hunk' : ''
                  }
                >
                  {line + '\n'}
                </span>
              ))}
            </pre>
          )}
        </section>
      ))}
    </div>
  );
}

/**
 * Drift explained: each time a Kustomization put this object back (or, for a Kustomization, every object it put
 * back), which fields had changed, to what, by which field manager and when.
 */
function DriftTab(props: { nodeId: string }): React.JSX.Element {
  const drift = useAppStore((s) => (s.drift?.nodeId === props.nodeId ? s.drift : undefined));
  if (!drift || drift.status === 'loading') return <p className="muted">Reading the inbox…</p>;
  if (drift.status === 'error') return <p className="error-text">{drift.error}</p>;
  if (drift.records.length === 0)
    return (
      <p className="muted" data-testid="no-drift">
        No corrected drift on record: nobody changed what Git declares here, or the inbox has not seen it (it keeps 30
        days).
      </p>
    );
  return (
    <div className="drift-records" data-testid="drift-records">
      {drift.records.map((r) => (
        <section key={`${r.itemId}/${r.object.subject}`} className="drift-record">
          <div className="drift-record__head">
            <span title={r.at}>{timeAgo(r.at)} ago</span>
            {r.count > 1 && <span className="tl__count">×{r.count}</span>}
            <span className="muted">
              put back by{' '}
              <Link
                id={{
                  cluster: r.cluster,
                  group: 'kustomize.toolkit.fluxcd.io',
                  kind: 'Kustomization',
                  namespace: r.by.namespace,
                  name: r.by.name,
                }}
              />
            </span>
          </div>
          <DriftTable objects={[r.object]} onJump={(o) => focusNode(nodeIdOf({ cluster: r.cluster, ...o.ref }))} />
        </section>
      ))}
    </div>
  );
}

/** Editing: the files in Git (the GitRepository's, or a Kustomization's source), or the Flux object itself. */
function EditActions(props: { nodeId: string; flux: boolean }): React.JSX.Element | null {
  const git = repoOfNode(props.nodeId) !== undefined;
  const opening = useAppStore((s) => s.openingRepo === props.nodeId);
  if (!git && !props.flux) return null;
  return (
    <div className="edit-actions">
      {git && (
        <button
          type="button"
          className="btn"
          disabled={opening}
          onClick={() => fire(openWorkTreeFor(props.nodeId))}
          data-testid="edit-in-git"
          title="Open the repository's files in the editor: change, preview, commit and push"
        >
          {opening ? 'Opening…' : 'Edit in Git'}
        </button>
      )}
      {props.flux && (
        <button
          type="button"
          className="btn btn--ghost"
          onClick={() => fire(editObject(props.nodeId))}
          data-testid="edit-object"
          title="Edit this object's spec and apply it to the cluster"
        >
          Edit object
        </button>
      )}
    </div>
  );
}

function FluxOverview(props: { obj: FluxObject }): React.JSX.Element {
  const o = props.obj;
  const source = o.sourceRef && { cluster: o.cluster, ...o.sourceRef, namespace: o.sourceRef.namespace || o.namespace };
  return (
    <>
      <dl className="facts">
        <Fact label="Source">{source && <Link id={source} />}</Fact>
        <Fact label="Artifact">
          {o.revision.artifact && <code title={o.revision.artifact}>{shortRevision(o.revision.artifact)}</code>}
        </Fact>
        <Fact label="Applied">
          {o.revision.lastApplied && (
            <code title={o.revision.lastApplied}>{shortRevision(o.revision.lastApplied)}</code>
          )}
        </Fact>
        <Fact label="Attempted">
          {o.revision.lastAttempted && o.revision.lastAttempted !== o.revision.lastApplied && (
            <code title={o.revision.lastAttempted}>{shortRevision(o.revision.lastAttempted)}</code>
          )}
        </Fact>
        <Fact label="URL">{o.url && <code className="wrap">{o.url}</code>}</Fact>
        <Fact label="Path">{o.path && <code>{o.path}</code>}</Fact>
        <Fact label="Interval">{o.interval}</Fact>
        <Fact label="Generation">
          {o.generation}
          {o.observedGeneration !== undefined &&
            o.observedGeneration !== o.generation &&
            ` (observed ${o.observedGeneration})`}
        </Fact>
        <Fact label="Handled">
          {o.lastHandledReconcileAt && `${timeAgo(o.lastHandledReconcileAt) || o.lastHandledReconcileAt} ago`}
        </Fact>
        <Fact label="Depends on">
          {o.dependsOn.length > 0 && (
            <span className="links">
              {o.dependsOn.map((d) => (
                <Link
                  key={`${d.namespace}/${d.name}`}
                  id={{
                    cluster: o.cluster,
                    group: o.group,
                    kind: o.kind,
                    namespace: d.namespace || o.namespace,
                    name: d.name,
                  }}
                  label={d.name}
                />
              ))}
            </span>
          )}
        </Fact>
      </dl>
      <h3 className="section-title">Conditions</h3>
      <Conditions obj={o} />
      {o.inventory && (
        <>
          <h3 className="section-title">
            Inventory <span className="muted">{o.inventory.length}</span>
          </h3>
          <Inventory obj={o} />
        </>
      )}
    </>
  );
}

function WorkloadOverview(props: { w: Workload | undefined; id: Identity }): React.JSX.Element {
  const owners = useAppStore(
    useShallow((s) =>
      Object.values(s.objects)
        .filter(
          (o) =>
            o.cluster === props.id.cluster &&
            (o.inventory?.some((r) => same({ ...r, cluster: o.cluster }, props.id)) ||
              (o.kind === 'HelmRelease' &&
                props.w?.helmRelease?.namespace === o.namespace &&
                props.w.helmRelease.name === o.name)),
        )
        .map((o) => nodeIdOf(o)),
    ),
  );
  return (
    <dl className="facts">
      <Fact label="Health">{props.w ? props.w.health : 'not reported'}</Fact>
      <Fact label="Message">{props.w?.message}</Fact>
      <Fact label="Replicas">{props.w?.replicas && `${props.w.replicas.ready}/${props.w.replicas.desired} ready`}</Fact>
      <Fact label="Applied by">
        {owners.length > 0 && (
          <span className="links">
            {owners.map((id) => {
              const i = identityOf(id);
              return i ? <Link key={id} id={i} /> : null;
            })}
          </span>
        )}
      </Fact>
    </dl>
  );
}

const TABS: { id: PanelTab; label: string; key: string }[] = [
  { id: 'overview', label: 'Overview', key: 'O' },
  { id: 'events', label: 'Events', key: 'E' },
  { id: 'yaml', label: 'YAML', key: 'Y' },
  { id: 'diff', label: 'Diff', key: 'D' },
  { id: 'drift', label: 'Drift', key: 'X' },
  { id: 'release', label: 'Release', key: 'H' },
  { id: 'image', label: 'Tags', key: 'I' },
];

/** The image tab is the policy's tags or the automation's commits. */
const IMAGE_TAB_LABELS: Record<string, string> = { ImagePolicy: 'Tags', ImageUpdateAutomation: 'Commits' };

export function ObjectPanel(): React.JSX.Element | null {
  const selected = useAppStore((s) => s.selected);
  const id = selected === undefined ? undefined : identityOf(selected);
  const flux = useAppStore((s) => (id ? Object.values(s.objects).find((o) => same(o, id)) : undefined));
  const workload = useAppStore((s) => (id ? Object.values(s.workloads).find((w) => same(w, id)) : undefined));
  const tab = useAppStore((s) => s.panelTab);
  const detail = useAppStore((s) => (s.detail?.nodeId === selected ? s.detail : undefined));
  const driftCount = useAppStore((s) =>
    s.drift !== undefined && s.drift.nodeId === selected ? s.drift.records.length : 0,
  );
  if (selected === undefined || !id) return null;
  const status: NodeStatus = flux ? flux.state.status : workload ? HEALTH_STATUS[workload.health] : 'unknown';
  const message = flux?.state.message ?? workload?.message;
  const tabs = TABS.filter(
    (t) =>
      (t.id !== 'diff' || id.kind === 'Kustomization') &&
      (t.id !== 'drift' || hasDriftView(selected)) &&
      (t.id !== 'release' || (id.kind === 'HelmRelease' && flux !== undefined)) &&
      (t.id !== 'image' || (IMAGE_TAB_LABELS[id.kind] !== undefined && flux !== undefined)),
  );
  const current = tabs.some((t) => t.id === tab) ? tab : 'overview';
  return (
    <aside
      className="panel"
      aria-label="Object details"
      data-testid="object-panel"
      data-kind={id.kind}
      data-name={id.name}
    >
      <header className="panel__head">
        <div className="panel__title">
          <span className="gnode__kind">{kindAbbrev(id.kind)}</span>
          <h2 title={id.name}>{id.name}</h2>
          <button
            type="button"
            className="icon-btn"
            aria-label="Close"
            title="Close (Esc)"
            onClick={() => select(undefined)}
          >
            ×
          </button>
        </div>
        <div className="panel__meta">
          {id.kind} · {id.namespace || 'cluster-scoped'} · {id.cluster}
        </div>
        <div className={`status-line is-${status}`} data-testid="panel-status" data-status={status}>
          <StatusDot status={status} spinning={flux?.state.reconciling} />
          <strong>{statusLabel(status)}</strong>
          {flux?.suspended && status !== 'suspended' && <span className="pill">suspended</span>}
          {flux?.state.reason && <span className="muted">{flux.state.reason}</span>}
          {flux?.state.since && <span className="muted">· {timeAgo(flux.state.since)}</span>}
        </div>
        {message && <p className={`panel__message is-${status}`}>{message}</p>}
      </header>
      {flux && <SyncControls nodeId={selected} suspended={flux.suspended} hasSource={flux.sourceRef !== undefined} />}
      <EditActions nodeId={selected} flux={flux !== undefined} />
      <div className="tabs" role="tablist">
        {tabs.map((t) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            aria-selected={current === t.id}
            className={`tab${current === t.id ? ' is-active' : ''}`}
            onClick={() => setPanelTab(t.id)}
            title={`${t.label} (${t.key})`}
          >
            {t.id === 'image' ? IMAGE_TAB_LABELS[id.kind] : t.label}
            {t.id === 'events' && detail?.detail && <span className="tab__count">{detail.detail.events.length}</span>}
            {t.id === 'drift' && driftCount > 0 && (
              <span className="tab__count tab__count--warn" data-testid="drift-count">
                {driftCount}
              </span>
            )}
          </button>
        ))}
      </div>
      <div className="panel__body">
        {detail?.status === 'error' && current !== 'overview' && <p className="error-text">{detail.error}</p>}
        {current === 'overview' && (flux ? <FluxOverview obj={flux} /> : <WorkloadOverview w={workload} id={id} />)}
        {current === 'events' && <Events events={detail?.detail?.events} loading={detail?.status === 'loading'} />}
        {current === 'yaml' &&
          (detail?.detail ? <YamlView text={detail.detail.yaml} /> : <p className="muted">Loading YAML…</p>)}
        {current === 'diff' && <DiffTab nodeId={selected} />}
        {current === 'drift' && <DriftTab nodeId={selected} />}
        {current === 'release' && flux && <HelmReleaseTab nodeId={selected} suspended={flux.suspended} />}
        {current === 'image' && id.kind === 'ImagePolicy' && <ImagePolicyTab nodeId={selected} />}
        {current === 'image' && id.kind === 'ImageUpdateAutomation' && <ImageAutomationTab nodeId={selected} />}
      </div>
      <HelmDialogs />
      <ImageDiffDialog />
    </aside>
  );
}
