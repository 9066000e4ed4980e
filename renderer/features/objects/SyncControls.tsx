/**
 * Reconcile, reconcile with source, suspend and resume for the selected Flux object, with the progress of the running
 * action until its result arrives. They act like the `flux` CLI, so in-cluster Flux honours them too.
 */
import { useShallow } from 'zustand/react/shallow';

import { actionTarget, fire, reconcile, toggleSuspend } from '../../store/actions.ts';
import { useAppStore } from '../../store/index.ts';
import type { ActionState } from '../../store/reducers.ts';

function latestAction(actions: Record<string, ActionState>, nodeId: string): ActionState | undefined {
  let latest: ActionState | undefined;
  for (const a of Object.values(actions))
    if (a.nodeId === nodeId && (!latest || a.startedAt >= latest.startedAt)) latest = a;
  return latest;
}

export function SyncControls(props: {
  nodeId: string;
  suspended: boolean;
  hasSource: boolean;
}): React.JSX.Element | null {
  const action = useAppStore(useShallow((s) => latestAction(s.actions, props.nodeId)));
  const connected = useAppStore((s) => s.connection === 'open');
  if (!actionTarget(props.nodeId)) return null;
  const running = action !== undefined && action.finishedAt === undefined;
  const disabled = running || !connected;
  return (
    <div className="sync">
      <div className="sync__buttons" role="toolbar" aria-label="Sync controls">
        <button
          type="button"
          className="btn btn--primary"
          disabled={disabled || props.suspended}
          title={props.suspended ? 'Resume it first' : 'Request a reconcile (Shift+R)'}
          onClick={() => fire(reconcile(props.nodeId))}
          data-testid="reconcile"
        >
          Reconcile <kbd>⇧R</kbd>
        </button>
        {props.hasSource && (
          <button
            type="button"
            className="btn"
            disabled={disabled || props.suspended}
            title="Reconcile the source first, then this object (Shift+S)"
            onClick={() => fire(reconcile(props.nodeId, true))}
            data-testid="reconcile-with-source"
          >
            With source <kbd>⇧S</kbd>
          </button>
        )}
        <button
          type="button"
          className="btn"
          disabled={disabled}
          title={props.suspended ? 'Resume reconciling (Shift+T)' : 'Suspend reconciling (Shift+T)'}
          onClick={() => fire(toggleSuspend(props.nodeId))}
          data-testid={props.suspended ? 'resume' : 'suspend'}
        >
          {props.suspended ? 'Resume' : 'Suspend'} <kbd>⇧T</kbd>
        </button>
      </div>
      {action && (
        <div
          className={`sync__progress is-${action.phase}`}
          data-testid="action-progress"
          data-phase={action.phase}
          role="status"
        >
          {running && <span className="spinner" aria-hidden />}
          <span className="sync__label">{action.label}</span>
          <span className="sync__message">{action.message}</span>
        </div>
      )}
    </div>
  );
}
