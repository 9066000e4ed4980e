/**
 * The bootstrap wizard: the form (context, repository, branch, path, namespace, credentials, mode) with a message under
 * each field that says what to write, then the steps as main reports them, then a link to flux-system in the graph.
 * The run itself is main's (main/workbench/bootstrap-runs.ts); this only shows it.
 */
import { useShallow } from 'zustand/react/shallow';

import { fire } from '../../store/actions.ts';
import { useAppStore } from '../../store/index.ts';
import type { BootstrapField, BootstrapWizard as Wizard } from '../../store/slices/bootstrap.ts';
import { Dialog } from '../../ui/Dialog.tsx';
import { Segmented } from '../../ui/Segmented.tsx';
import {
  cancelBootstrap,
  closeBootstrap,
  connectedClusters,
  setBootstrapForm,
  showBootstrapResult,
  startBootstrap,
} from './actions.ts';
import { formErrors, shownState } from './bootstrap-form.ts';

const MODES = [
  {
    id: 'desktop',
    label: 'Desktop-reconciled',
    title: 'No controllers in the cluster: Fluxdeck reconciles flux-system while it runs',
  },
  {
    id: 'in-cluster',
    label: 'In-cluster Flux',
    title: 'Flux’s controllers are deployed into the cluster (pinned images); Fluxdeck steps back and observes',
  },
] as const;

const GLYPH = { running: '', done: '✔', waiting: '◎', failed: '✗', cancelled: '■' } as const;

type TextField = Exclude<BootstrapField, 'cluster'>;

/** The form's text fields: label, placeholder and the hint shown while the field has no error. */
const TEXT_FIELDS: Record<TextField, { label: string; placeholder: string; hint?: string }> = {
  url: {
    label: 'Repository URL',
    placeholder: 'https://github.com/org/fleet.git',
    hint: 'The https:// address you would git clone; the branch is created if the repository is empty.',
  },
  branch: { label: 'Branch', placeholder: 'main' },
  namespace: { label: 'Namespace', placeholder: 'flux-system' },
  path: {
    label: 'Cluster directory',
    placeholder: 'clusters/my-cluster',
    hint: 'flux-system is written under it; everything else in it is reconciled too.',
  },
  username: { label: 'Username', placeholder: 'git' },
  password: { label: 'Password or token', placeholder: 'needs write access' },
};

function Field(props: {
  name: BootstrapField;
  label: string;
  error: string | undefined;
  hint?: string;
  children: React.ReactNode;
}): React.JSX.Element {
  return (
    <label className={`bfield${props.error ? ' is-bad' : ''}`} data-field={props.name}>
      <span className="bfield__label">{props.label}</span>
      {props.children}
      {props.error ? (
        <span className="bfield__error" role="alert" data-testid={`bootstrap-error-${props.name}`}>
          {props.error}
        </span>
      ) : (
        props.hint && <span className="bfield__hint">{props.hint}</span>
      )}
    </label>
  );
}

function Form(props: { wizard: Wizard }): React.JSX.Element {
  const { form, tried } = props.wizard;
  const clusters = useAppStore(useShallow(connectedClusters));
  const running = props.wizard.status === 'running';
  // While running the password is already gone from the form: no message asks for it then.
  const errors = tried && !running ? formErrors(form, clusters) : {};
  // After a run, the password is gone with its request: say so where it is asked for again.
  const again = props.wizard.error !== undefined && form.username.trim() !== '' && !form.password;
  const hints: Partial<Record<TextField, string>> = {
    ...(again && { password: 'Enter it again to retry: it left with the last run, and Fluxdeck keeps no copy.' }),
  };
  const text = (name: TextField) => (
    <Field
      name={name}
      label={TEXT_FIELDS[name].label}
      error={errors[name]}
      hint={hints[name] ?? TEXT_FIELDS[name].hint}
    >
      <input
        value={form[name]}
        placeholder={TEXT_FIELDS[name].placeholder}
        disabled={running}
        spellCheck={false}
        autoComplete={name === 'password' ? 'new-password' : 'off'}
        type={name === 'password' ? 'password' : 'text'}
        aria-invalid={errors[name] !== undefined}
        onChange={(e) => setBootstrapForm({ [name]: e.target.value })}
        data-testid={`bootstrap-${name}`}
      />
    </Field>
  );
  return (
    <div className="bform">
      <Field name="cluster" label="Context" error={errors.cluster}>
        <select
          className="select"
          value={form.cluster}
          disabled={running}
          onChange={(e) => setBootstrapForm({ cluster: e.target.value })}
          data-testid="bootstrap-cluster"
        >
          {!clusters.includes(form.cluster) && <option value={form.cluster}>{form.cluster || '—'}</option>}
          {clusters.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
      </Field>
      {text('url')}
      <div className="bform__row">
        {text('branch')}
        {text('namespace')}
      </div>
      {text('path')}
      <div className="bform__row">
        {text('username')}
        {text('password')}
      </div>
      <p className="bfield__hint">
        Used to push, and stored in the cluster as the Secret {form.namespace || 'flux-system'}/flux-system for the
        source; Fluxdeck keeps no copy. Leave both empty for a repository that needs none.
      </p>
      <div className="bfield">
        <span className="bfield__label">Who reconciles</span>
        <Segmented
          label="Who reconciles"
          options={MODES}
          value={form.mode}
          onChange={(mode) => setBootstrapForm({ mode })}
          testIdPrefix="bootstrap-mode-"
        />
      </div>
    </div>
  );
}

function Steps(props: { wizard: Wizard }): React.JSX.Element | null {
  const { steps, status } = props.wizard;
  if (steps.length === 0 && status !== 'running') return null;
  const finished = status !== 'running';
  // A cancelled run's last steps end as `failed` on the server; here they read as stopped, not broken.
  const cancelled = props.wizard.error?.cancelled === true;
  return (
    <ol className="bsteps" data-testid="bootstrap-steps" aria-live="polite">
      {steps.length === 0 && (
        <li className="bstep is-running">
          <span className="spinner" /> Starting…
        </li>
      )}
      {steps.map((step, i) => {
        const shown = shownState(steps, i, finished);
        const state = cancelled && shown === 'failed' ? 'cancelled' : shown;
        return (
          <li key={i} className={`bstep is-${state}`} data-testid="bootstrap-step" data-state={state}>
            <span className="bstep__glyph" aria-label={state}>
              {state === 'running' ? <span className="spinner" /> : GLYPH[state]}
            </span>
            <span className="bstep__message">{step.message}</span>
          </li>
        );
      })}
    </ol>
  );
}

export function BootstrapWizard(): React.JSX.Element | null {
  const wizard = useAppStore((s) => s.bootstrap);
  if (!wizard) return null;
  const { status } = wizard;
  const running = status === 'running';
  const ks = wizard.result?.kustomization;
  return (
    <Dialog label="Bootstrap a cluster" onClose={closeBootstrap} testId="bootstrap-wizard">
      <form
        className="bootstrap"
        onSubmit={(e) => {
          e.preventDefault();
          fire(startBootstrap());
        }}
      >
        <h2>Bootstrap {wizard.form.cluster || 'a cluster'} from Git</h2>
        <p>
          Writes the cluster’s <code>flux-system</code> (a GitRepository and a Kustomization of the directory) to the
          repository, pushes it (never forced; an earlier bootstrap is updated), applies it and waits until it is Ready,
          as <code>fluxdeck bootstrap git</code> does.
        </p>
        {status !== 'done' && <Form wizard={wizard} />}
        <Steps wizard={wizard} />
        {status === 'failed' && wizard.error?.cancelled && (
          // The server's message only repeats "cancelled": what stays and how to finish is what the user needs.
          <div className="outcome outcome--warn" role="status" data-testid="bootstrap-cancelled">
            <p>
              <strong>Cancelled.</strong> {wizard.error.hint}
            </p>
          </div>
        )}
        {status === 'failed' && wizard.error && !wizard.error.cancelled && (
          <div className="outcome outcome--bad" role="alert" data-testid="bootstrap-failed">
            <p className="error-text">{wizard.error.message}</p>
            {wizard.error.hint && <p className="muted">{wizard.error.hint}</p>}
          </div>
        )}
        {status === 'done' && wizard.result && ks && (
          <div className="outcome outcome--ok" role="status" data-testid="bootstrap-done">
            <p>{wizard.result.message}</p>
            <button
              type="button"
              className="btn btn--primary"
              onClick={showBootstrapResult}
              data-testid="bootstrap-show"
            >
              Show Kustomization {ks.namespace}/{ks.name} in the graph
            </button>
          </div>
        )}
        <div className="dialog__buttons">
          {running ? (
            <button
              type="button"
              className="btn"
              onClick={() => fire(cancelBootstrap())}
              data-testid="bootstrap-cancel"
            >
              Cancel bootstrap
            </button>
          ) : (
            <button type="button" className="btn" onClick={closeBootstrap} data-testid="bootstrap-close">
              Close
            </button>
          )}
          {status !== 'done' && (
            <button type="submit" className="btn btn--primary" disabled={running} data-testid="bootstrap-start">
              {running ? 'Bootstrapping…' : status === 'failed' ? 'Try again' : 'Bootstrap'}
            </button>
          )}
        </div>
      </form>
    </Dialog>
  );
}
