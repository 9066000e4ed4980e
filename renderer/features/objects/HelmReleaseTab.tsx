/**
 * The HelmRelease's Release tab: its Helm actions, the release history (each older revision can be rolled back to),
 * the merged values with where each top-level key came from (Secret-fed values never reach the renderer), the last
 * test results and the drift state. The confirmations (rollback with its manifest diff, uninstall) open over it.
 */
import { useShallow } from 'zustand/react/shallow';

import type { HelmReleaseView } from '../../../main/contract/index.ts';
import { fire } from '../../store/actions.ts';
import {
  askRollback,
  askUninstall,
  closeHelmDialog,
  confirmRollback,
  confirmUninstall,
  forceUpgrade,
  resetRelease,
  runTests,
  setSuspendKustomization,
} from '../../store/helm-actions.ts';
import { useAppStore } from '../../store/index.ts';
import { Dialog } from '../../ui/Dialog.tsx';
import { timeAgo } from '../../ui/format.ts';
import { DiffEditor } from '../editor/DiffEditor.tsx';
import { driftFact, originLabel } from './release-facts.ts';

const shortDigest = (d: string | undefined): string => (d ? d.replace(/^sha256:/, '').slice(0, 7) : '');

interface ReleaseButton {
  id: string;
  label: string;
  title: string;
  /** Needs the HelmRelease to be reconciling (not suspended): the annotations are answered by its controller. */
  needsResumed?: boolean;
  /** Needs an installed release. */
  needsRelease?: boolean;
  danger?: boolean;
  run(nodeId: string): void;
}

const BUTTONS: ReleaseButton[] = [
  {
    id: 'helm-force-upgrade',
    label: 'Force upgrade',
    title: 'Upgrade now even if nothing changed (flux reconcile hr --force: requestedAt + forceAt)',
    needsResumed: true,
    run: (nodeId) => fire(forceUpgrade(nodeId)),
  },
  {
    id: 'helm-reset',
    label: 'Reset',
    title: 'Reset the failure counters and try again (reconcile.fluxcd.io/resetAt + requestedAt)',
    needsResumed: true,
    run: (nodeId) => fire(resetRelease(nodeId)),
  },
  {
    id: 'helm-test',
    label: 'Run tests',
    title: "Run the chart's tests against the current revision (helm test, with spec.test.filters)",
    needsRelease: true,
    run: (nodeId) => fire(runTests(nodeId)),
  },
  {
    id: 'helm-uninstall',
    label: 'Uninstall…',
    title: 'Delete the HelmRelease and uninstall its release',
    danger: true,
    run: askUninstall,
  },
];

function ReleaseActions(props: { nodeId: string; view: HelmReleaseView; suspended: boolean }): React.JSX.Element {
  const busy = useAppStore((s) => Object.values(s.actions).some((a) => a.nodeId === props.nodeId && !a.finishedAt));
  const connected = useAppStore((s) => s.connection === 'open');
  const installed = props.view.history.some((r) => r.inHelm && r.status !== 'uninstalled');
  return (
    <div className="sync__buttons" role="toolbar" aria-label="Helm actions">
      {BUTTONS.map((b) => {
        const blocked = b.needsResumed && props.suspended ? 'Resume it first' : undefined;
        return (
          <button
            key={b.id}
            type="button"
            className={`btn${b.danger ? ' btn--danger' : ''}`}
            disabled={busy || !connected || blocked !== undefined || (b.needsRelease === true && !installed)}
            title={blocked ?? b.title}
            onClick={() => b.run(props.nodeId)}
            data-testid={b.id}
          >
            {b.label}
          </button>
        );
      })}
    </div>
  );
}

function History(props: { nodeId: string; view: HelmReleaseView }): React.JSX.Element {
  const running = useAppStore((s) => Object.values(s.actions).some((a) => a.nodeId === props.nodeId && !a.finishedAt));
  const rows = props.view.history;
  if (rows.length === 0) return <p className="muted">No release yet: the HelmRelease has not installed its chart.</p>;
  return (
    <table className="conditions release-history" data-testid="helm-history">
      <thead>
        <tr>
          <th>Rev</th>
          <th>Chart</th>
          <th>Status</th>
          <th title="sha256 of the values (helm-controller's configDigest)">Values</th>
          <th>Deployed</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr
            key={r.revision}
            className={`release-row is-${r.status}${r.current ? ' is-current' : ''}`}
            data-testid="helm-history-row"
            data-revision={r.revision}
            data-status={r.status}
            title={r.description}
          >
            <td>
              {r.revision}
              {r.current && <span className="pill">current</span>}
            </td>
            <td>
              <code>{r.chart}</code>
              {r.appVersion && <div className="muted">app {r.appVersion}</div>}
            </td>
            <td className="release-row__status">{r.status}</td>
            <td>
              <code title={r.configDigest}>{shortDigest(r.configDigest)}</code>
            </td>
            <td className="muted" title={r.deployed}>
              {r.deployed ? `${timeAgo(r.deployed)} ago` : ''}
            </td>
            <td>
              {!r.current && r.inHelm && (
                <button
                  type="button"
                  className="btn btn--small"
                  disabled={running}
                  onClick={() => fire(askRollback(props.nodeId, r.revision))}
                  data-testid="helm-rollback"
                  title={`Compare with revision ${r.revision} and roll back to it`}
                >
                  Roll back…
                </button>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Values(props: { view: HelmReleaseView }): React.JSX.Element {
  const { values, valuesProblems } = props.view;
  return (
    <>
      {valuesProblems.map((p, i) => (
        <p key={i} className="error-text">
          {originLabel(p.origin)}: {p.message}
        </p>
      ))}
      {values.length === 0 ? (
        <p className="muted">No values set: the chart’s defaults apply.</p>
      ) : (
        <table className="conditions release-values" data-testid="helm-values">
          <thead>
            <tr>
              <th>Key</th>
              <th>From</th>
              <th>Value</th>
            </tr>
          </thead>
          <tbody>
            {values.map((v) => (
              <tr key={v.key} data-testid="helm-value" data-key={v.key} data-masked={v.masked}>
                <td>
                  <code>{v.key}</code>
                </td>
                <td>
                  {v.origins.map((o, i) => (
                    <div key={i} className={i < v.origins.length - 1 ? 'muted' : ''}>
                      {originLabel(o)}
                    </div>
                  ))}
                </td>
                <td>
                  {v.masked ? (
                    <span className="muted" title="Values from a Secret stay in Fluxdeck's main process">
                      *** (from Secret)
                    </span>
                  ) : (
                    <pre className="release-values__yaml">{v.yaml}</pre>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function Tests(props: { view: HelmReleaseView }): React.JSX.Element {
  const t = props.view.tests;
  if (t.from === 'none' || t.results.length === 0)
    return <p className="muted">No test results: the chart has no tests, or they have not run.</p>;
  return (
    <table className="conditions" data-testid="helm-tests">
      <thead>
        <tr>
          <th>Test</th>
          <th>Phase</th>
          <th>Finished</th>
        </tr>
      </thead>
      <tbody>
        {t.results.map((r) => (
          <tr
            key={r.name}
            className={`cond is-${r.phase === 'Succeeded' ? 'true' : r.phase === 'Failed' ? 'false' : 'unknown'}`}
            data-testid="helm-test-result"
            data-phase={r.phase ?? ''}
          >
            <td>{r.name}</td>
            <td className="cond__status">{r.phase ?? 'not run'}</td>
            <td className="muted" title={r.completed}>
              {r.completed ? `${timeAgo(r.completed)} ago` : ''}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Drift(props: { nodeId: string; view: HelmReleaseView }): React.JSX.Element {
  const events = useAppStore((s) => (s.detail?.nodeId === props.nodeId ? s.detail.detail?.events : undefined));
  const fact = driftFact(props.view.driftMode, events);
  return (
    <p className={`drift-fact is-${fact.state}`} data-testid="helm-drift" data-state={fact.state}>
      <strong>{fact.state}</strong> {fact.message}
      {fact.at && <span className="muted"> · {timeAgo(fact.at)} ago</span>}
    </p>
  );
}

export function HelmReleaseTab(props: { nodeId: string; suspended: boolean }): React.JSX.Element {
  const state = useAppStore((s) => (s.helmView?.nodeId === props.nodeId ? s.helmView : undefined));
  if (!state || (state.status === 'loading' && !state.view))
    return <p className="muted">Reading the release from Helm…</p>;
  if (!state.view) return <p className="error-text">{state.error}</p>;
  const v = state.view;
  return (
    <div className="release" data-testid="helm-release">
      <dl className="facts">
        <dt>Release</dt>
        <dd>
          <code>
            {v.targetNamespace}/{v.releaseName}
          </code>
          {v.storageNamespace !== v.targetNamespace && <span className="muted"> · stored in {v.storageNamespace}</span>}
        </dd>
        {v.managedBy && (
          <>
            <dt>Managed by</dt>
            <dd>
              Kustomization {v.managedBy.namespace}/{v.managedBy.name}
              {v.managedBy.suspended && <span className="pill">suspended</span>}
            </dd>
          </>
        )}
      </dl>
      <ReleaseActions nodeId={props.nodeId} view={v} suspended={props.suspended} />
      {v.helmError && <p className="error-text">{v.helmError}</p>}
      <h3 className="section-title">History</h3>
      <History nodeId={props.nodeId} view={v} />
      <h3 className="section-title">Values</h3>
      <Values view={v} />
      <h3 className="section-title">
        Tests {v.tests.revision !== undefined && <span className="muted">revision {v.tests.revision}</span>}
      </h3>
      <Tests view={v} />
      <h3 className="section-title">Drift</h3>
      <Drift nodeId={props.nodeId} view={v} />
    </div>
  );
}

function RollbackDialog(): React.JSX.Element | null {
  const d = useAppStore(useShallow((s) => (s.helmDialog?.type === 'rollback' ? s.helmDialog : undefined)));
  const view = useAppStore((s) => s.helmView?.view);
  if (!d) return null;
  const release = view ? `${view.targetNamespace}/${view.releaseName}` : 'the release';
  const hr = view ? `HelmRelease ${view.key.namespace}/${view.key.name}` : 'The HelmRelease';
  return (
    <Dialog label="Roll back" testId="rollback-dialog" wide onClose={closeHelmDialog}>
      <h2>
        Roll back {release} to revision {d.revision}
      </h2>
      <p>
        {hr} is suspended first, so helm-controller does not upgrade it straight back; then Helm rolls the release back
        to revision {d.revision}. <strong>Resume it to return to the state in Git.</strong>
      </p>
      {d.status === 'loading' && <p className="muted">Reading both revisions’ manifests…</p>}
      {d.status === 'error' && <p className="error-text">{d.error}</p>}
      {d.preview && (
        <>
          <p className="muted">
            Revision {d.preview.currentRevision} (current, left) → revision {d.preview.targetRevision} (right); Secret
            values masked
          </p>
          <div className="rollback-diff" data-testid="rollback-diff">
            <DiffEditor live={d.preview.current} desired={d.preview.target} />
          </div>
        </>
      )}
      <div className="dialog__buttons">
        <button type="button" className="btn btn--ghost" onClick={closeHelmDialog}>
          Cancel
        </button>
        <button
          type="button"
          className="btn btn--primary"
          disabled={d.status !== 'ready'}
          onClick={() => fire(confirmRollback())}
          data-testid="confirm-rollback"
        >
          Suspend and roll back
        </button>
      </div>
    </Dialog>
  );
}

function UninstallDialog(): React.JSX.Element | null {
  const d = useAppStore(useShallow((s) => (s.helmDialog?.type === 'uninstall' ? s.helmDialog : undefined)));
  if (!d) return null;
  const v = d.view;
  const by = v.managedBy;
  return (
    <Dialog label="Uninstall" testId="uninstall-dialog" onClose={closeHelmDialog}>
      <h2>
        Uninstall release {v.releaseName} from namespace {v.targetNamespace}?
      </h2>
      <p>
        This deletes HelmRelease {v.key.namespace}/{v.key.name}; its finalizer uninstalls the release and every object
        it made in {v.targetNamespace}.
      </p>
      {by && (
        <div className="warning" data-testid="uninstall-managed">
          <p>
            Kustomization {by.namespace}/{by.name} manages this HelmRelease and recreates it on its next reconcile
            {by.suspended ? ' (it is suspended now)' : ''}.
          </p>
          {!by.suspended && (
            <label>
              <input
                type="checkbox"
                checked={d.suspendKustomization}
                onChange={(e) => setSuspendKustomization(e.target.checked)}
                data-testid="suspend-kustomization"
              />{' '}
              Suspend Kustomization {by.name} first
            </label>
          )}
        </div>
      )}
      <div className="dialog__buttons">
        <button type="button" className="btn btn--ghost" onClick={closeHelmDialog}>
          Cancel
        </button>
        <button
          type="button"
          className="btn btn--danger"
          onClick={() => fire(confirmUninstall())}
          data-testid="confirm-uninstall"
        >
          Uninstall {v.releaseName}
        </button>
      </div>
    </Dialog>
  );
}

/** The Helm confirmations, open over the panel. */
export function HelmDialogs(): React.JSX.Element {
  return (
    <>
      <RollbackDialog />
      <UninstallDialog />
    </>
  );
}
