/**
 * Reviewing a work tree's changes before they reach the cluster: the changed files, YAML problems (which block the
 * commit, with their locations), the preview of every affected Kustomization (objects created, changed with a
 * live/desired diff, pruned), then the commit and push, what to do when the server moved or refused, and the
 * reconcile that follows, until Ready.
 */
import { useState } from 'react';
import { useShallow } from 'zustand/react/shallow';

import type {
  GitAuthor,
  KustomizationPreview,
  PreviewObject,
  WorkTree,
  YamlProblem,
} from '../../../main/contract/index.ts';
import { fire } from '../../store/actions.ts';
import { formatProblem } from '../../store/editor-reducers.ts';
import { nodeIdOfKey } from '../../store/ids.ts';
import { useAppStore } from '../../store/index.ts';
import type { ActionState } from '../../store/reducers.ts';
import type { CommitFlow, ReconcileAfterPush } from '../../store/slices/editor.ts';
import { kindAbbrev } from '../../ui/format.ts';
import { StepProgress } from '../../ui/StepProgress.tsx';
import { FieldChanges } from '../inbox/FieldChanges.tsx';
import {
  abortEdits,
  backToEditing,
  commitAndPush,
  openFile,
  push,
  pushWithCredentials,
  reapply,
  revealProblem,
  runPreview,
  selectPreviewObject,
  setCommitDraft,
} from './actions.ts';
import { DiffEditor } from './DiffEditor.tsx';

const ACTION_LABEL: Record<PreviewObject['action'], string> = {
  create: 'created',
  update: 'changed',
  delete: 'pruned',
  unchanged: 'unchanged',
  skipped: 'skipped',
};

const objectKey = (ks: KustomizationPreview, o: PreviewObject): string =>
  `${ks.key.cluster}/${ks.key.namespace}/${ks.key.name}|${o.ref.group}|${o.ref.kind}|${o.ref.namespace}|${o.ref.name}`;

function Problems(props: { workTreeId: string; problems: readonly YamlProblem[]; title: string }): React.JSX.Element {
  return (
    <div className="problems" data-testid="yaml-problems">
      <div className="problems__title error-text">{props.title}</div>
      {props.problems.map((p) => (
        <button
          key={formatProblem(p)}
          type="button"
          className="problems__item"
          onClick={() => fire(revealProblem(props.workTreeId, p.path, p.line, p.column))}
          data-testid="yaml-problem"
        >
          <code>
            {p.path}:{p.line}:{p.column}
          </code>{' '}
          {p.message}
        </button>
      ))}
    </div>
  );
}

function Preview(props: { workTreeId: string }): React.JSX.Element {
  const preview = useAppStore((s) => s.review?.preview);
  const selected = useAppStore((s) => s.review?.selected);
  if (!preview) return <p className="muted">No preview yet.</p>;
  if (preview.status === 'running')
    return (
      <StepProgress
        step={preview.progress}
        starting="Saving and finding the affected Kustomizations…"
        label="Preview progress"
        testId="preview-progress"
      />
    );
  if (preview.status === 'error') return <p className="error-text">{preview.error}</p>;
  const result = preview.result;
  if (!result) return <p className="muted">No preview yet.</p>;
  return (
    <div className="preview" data-testid="preview">
      {result.problems.length > 0 && (
        <Problems workTreeId={props.workTreeId} problems={result.problems} title="Invalid YAML: fix it to commit" />
      )}
      {result.kustomizations.length === 0 && (
        <p className="muted">
          No Kustomization in a connected cluster builds a path with these files, so nothing in a cluster changes.
        </p>
      )}
      {result.kustomizations.map((ks) => {
        const changed = ks.objects.filter((o) => o.action !== 'unchanged' && o.action !== 'skipped');
        return (
          <section
            key={`${ks.key.cluster}/${ks.key.namespace}/${ks.key.name}`}
            className="preview__ks"
            data-testid="preview-kustomization"
            data-name={ks.key.name}
          >
            <header className="preview__ks-head">
              <span className="gnode__kind">KS</span> {ks.key.namespace}/{ks.key.name}{' '}
              <span className="muted">
                in {ks.key.cluster} · {ks.path}
              </span>
            </header>
            {ks.error && <pre className="preview__error error-text">{ks.error}</pre>}
            {!ks.error && changed.length === 0 && <p className="muted">Applying this would change nothing.</p>}
            {changed.map((o) => {
              const k = objectKey(ks, o);
              return (
                <button
                  key={k}
                  type="button"
                  className={`preview__obj is-${o.action}${selected === k ? ' is-selected' : ''}`}
                  onClick={() => selectPreviewObject(k)}
                  data-testid="preview-object"
                  data-action={o.action}
                  data-kind={o.ref.kind}
                  data-name={o.ref.name}
                >
                  <span className={`preview__action is-${o.action}`}>
                    {o.error ? 'refused' : ACTION_LABEL[o.action]}
                  </span>
                  <span className="gnode__kind">{kindAbbrev(o.ref.kind)}</span>
                  <span className="preview__name">
                    {o.ref.namespace && <span className="muted">{o.ref.namespace}/</span>}
                    {o.ref.name}
                  </span>
                  {o.changes && <span className="muted">{o.changes.map((c) => c.path).join(', ')}</span>}
                </button>
              );
            })}
          </section>
        );
      })}
      <button type="button" className="btn btn--ghost" onClick={() => fire(runPreview())}>
        Preview again
      </button>
    </div>
  );
}

function ObjectDiff(): React.JSX.Element | null {
  const found = useAppStore(
    useShallow((s) => {
      const sel = s.review?.selected;
      for (const ks of s.review?.preview?.result?.kustomizations ?? [])
        for (const o of ks.objects) if (objectKey(ks, o) === sel) return { o };
      return { o: undefined };
    }),
  );
  const o = found.o;
  if (!o) return <p className="muted review__hint">Select an object to see live and desired side by side.</p>;
  return (
    <div className="objdiff" data-testid="object-diff" data-kind={o.ref.kind} data-name={o.ref.name}>
      <div className="objdiff__head">
        <strong>
          {o.ref.kind} {o.ref.namespace && `${o.ref.namespace}/`}
          {o.ref.name}
        </strong>
        <span className="muted"> · live (left) → after applying (right); Secret values masked</span>
      </div>
      {o.error && <pre className="error-text">{o.error}</pre>}
      {o.changes && o.changes.length > 0 && (
        <FieldChanges changes={o.changes} liveLabel="Live" desiredLabel="Desired" />
      )}
      <DiffEditor live={o.live ?? ''} desired={o.desired ?? ''} />
    </div>
  );
}

function Reconciles(props: { items: readonly ReconcileAfterPush[] }): React.JSX.Element {
  const actions = useAppStore(useShallow((s) => s.actions));
  const latest = (r: ReconcileAfterPush): ActionState | undefined => {
    const nodeId = nodeIdOfKey(r.key);
    let found: ActionState | undefined;
    for (const a of Object.values(actions))
      if (
        a.nodeId === nodeId &&
        r.since !== undefined &&
        a.startedAt >= r.since &&
        (!found || a.startedAt > found.startedAt)
      )
        found = a;
    return found;
  };
  if (props.items.length === 0)
    return <p className="muted">No Kustomization in a connected cluster reads these files.</p>;
  return (
    <ul className="reconciles" data-testid="reconciles">
      {props.items.map((r) => {
        const a = latest(r);
        const phase = a?.phase ?? 'requested';
        return (
          <li
            key={JSON.stringify(r.key)}
            className={`reconcile is-${phase}`}
            data-testid="reconcile-after-push"
            data-name={r.key.name}
            data-phase={phase}
          >
            {a && a.finishedAt === undefined && <span className="spinner" />}
            <span className="reconcile__what">
              Kustomization {r.key.namespace}/{r.key.name} <span className="muted">in {r.key.cluster}</span>
            </span>
            <span className="reconcile__msg">
              {a ? (a.phase === 'succeeded' ? `Ready · ${a.message}` : a.message) : 'waiting'}
            </span>
          </li>
        );
      })}
    </ul>
  );
}

function Credentials(props: { tree: WorkTree }): React.JSX.Element {
  const [username, setUsername] = useState('');
  const [secret, setSecret] = useState('');
  const [remember, setRemember] = useState(props.tree.credentialStorage === 'keychain');
  const keychain = props.tree.credentialStorage === 'keychain';
  return (
    <form
      className="creds"
      onSubmit={(e) => {
        e.preventDefault();
        const credentials = username ? { username, password: secret } : { bearerToken: secret };
        fire(pushWithCredentials(credentials, keychain && remember));
        setSecret('');
      }}
    >
      <p className="muted">
        Enter credentials that may push to {props.tree.url}. They stay in Fluxdeck&apos;s main process and are never
        shown again;{' '}
        {keychain
          ? 'remembered ones are kept in the OS keychain.'
          : 'fluxdeck serve keeps them in memory only, until it stops.'}
      </p>
      <label>
        User name <span className="muted">(empty for a bearer token)</span>
        <input value={username} onChange={(e) => setUsername(e.target.value)} autoComplete="username" />
      </label>
      <label>
        Password or token
        <input
          type="password"
          value={secret}
          onChange={(e) => setSecret(e.target.value)}
          autoComplete="current-password"
        />
      </label>
      {keychain && (
        <label className="toggle">
          <input type="checkbox" checked={remember} onChange={(e) => setRemember(e.target.checked)} /> Remember in the
          OS keychain
        </label>
      )}
      <button type="submit" className="btn btn--primary" disabled={secret === ''}>
        Push with these credentials
      </button>
    </form>
  );
}

function Outcome(props: { flow: CommitFlow; tree: WorkTree }): React.JSX.Element | null {
  const { flow, tree } = props;
  const short = (c: string): string => c.slice(0, 7);
  switch (flow.step) {
    case 'edit':
      return null;
    case 'busy':
      return (
        <p className="outcome" role="status" data-testid="commit-outcome" data-step="busy">
          <span className="spinner" /> {flow.doing[0]?.toUpperCase()}
          {flow.doing.slice(1)}…
        </p>
      );
    case 'invalid':
      return (
        <Problems workTreeId={tree.id} problems={flow.problems} title="Commit blocked: fix the invalid YAML first" />
      );
    case 'nothing':
      return (
        <p className="outcome" data-testid="commit-outcome" data-step="nothing">
          Nothing to commit: the files are as the last commit has them.
        </p>
      );
    case 'remote-moved':
      return (
        <div className="outcome outcome--warn" data-testid="commit-outcome" data-step="remote-moved">
          <p>
            <strong>The server&apos;s {tree.branch} moved on</strong> since this work tree was updated: someone pushed
            first. Your commit {short(flow.commit)} is kept here.
          </p>
          <p className="muted">{flow.message}</p>
          <div className="outcome__buttons">
            <button
              type="button"
              className="btn btn--primary"
              onClick={() => fire(reapply(false))}
              data-testid="reapply"
            >
              Fetch and re-apply my edit
            </button>
            <button type="button" className="btn" onClick={() => fire(abortEdits())} data-testid="abort">
              Abort my edit
            </button>
          </div>
        </div>
      );
    case 'conflict':
      return (
        <div className="outcome outcome--warn" data-testid="commit-outcome" data-step="conflict">
          <p>
            <strong>Your edit and the server&apos;s changed the same lines</strong> in {flow.files.join(', ')}. Nothing
            was changed here.
          </p>
          <p className="muted">{flow.message}</p>
          <div className="outcome__buttons">
            <button type="button" className="btn" onClick={() => fire(reapply(true))}>
              Keep my version of those files
            </button>
            <button type="button" className="btn" onClick={() => fire(abortEdits())}>
              Abort my edit
            </button>
          </div>
        </div>
      );
    case 'rejected':
      return (
        <div
          className="outcome outcome--bad"
          data-testid="commit-outcome"
          data-step="rejected"
          data-reason={flow.reason}
        >
          <p>
            <strong>The server refused the push</strong>
            {flow.reason === 'auth'
              ? ': the credentials may not push to this repository.'
              : flow.reason === 'hook'
                ? ': a hook or branch protection said no.'
                : ': it could not be reached.'}{' '}
            Your commit {short(flow.commit)} is kept in the work tree.
          </p>
          <pre className="outcome__message">{flow.message}</pre>
          {flow.reason === 'auth' ? (
            <Credentials tree={tree} />
          ) : (
            <p className="muted">
              {flow.reason === 'hook'
                ? 'Change the commit to satisfy the rule (or ask for an exception), then push again.'
                : 'Check the network and the URL, then push again.'}
            </p>
          )}
          <div className="outcome__buttons">
            {flow.reason !== 'auth' && (
              <button type="button" className="btn btn--primary" onClick={() => fire(push())}>
                Push again
              </button>
            )}
            <button type="button" className="btn btn--ghost" onClick={backToEditing}>
              Back to editing
            </button>
          </div>
        </div>
      );
    case 'aborted':
      return (
        <div className="outcome" data-testid="commit-outcome" data-step="aborted">
          <p>
            The work tree is back at the server&apos;s {tree.branch} ({short(flow.result.head)}).
            {flow.result.backup && ` Your edits were copied to ${flow.result.backup.dir}.`}
          </p>
          <button type="button" className="btn btn--ghost" onClick={backToEditing}>
            Back to editing
          </button>
        </div>
      );
    case 'pushed':
      return (
        <div className="outcome outcome--ok" data-testid="commit-outcome" data-step="pushed" data-commit={flow.commit}>
          <p>
            <strong>Pushed {short(flow.commit)}</strong> to {tree.branch}. Reconciling what it changes:
          </p>
          <Reconciles items={flow.reconciles} />
          <button type="button" className="btn btn--ghost" onClick={backToEditing}>
            Make another change
          </button>
        </div>
      );
    case 'error':
      return (
        <div className="outcome outcome--bad" data-testid="commit-outcome" data-step="error">
          <p>{flow.message}</p>
          {flow.hint && <p className="muted">{flow.hint}</p>}
          <button type="button" className="btn btn--ghost" onClick={backToEditing}>
            Back
          </button>
        </div>
      );
  }
}

function CommitBox(props: { tree: WorkTree }): React.JSX.Element {
  const { tree } = props;
  const flow = useAppStore((s) => s.review?.commit ?? ({ step: 'edit' } as const));
  const problems = useAppStore((s) => s.review?.preview?.result?.problems.length ?? 0);
  const draft = useAppStore(useShallow((s) => s.review?.draft ?? { message: '', name: '', email: '' }));
  const { message, name, email } = draft;
  const busy = flow.step === 'busy';
  const canCommit = flow.step === 'edit' || flow.step === 'nothing' || flow.step === 'invalid' || flow.step === 'error';
  const author: GitAuthor | undefined =
    name.trim() && email.trim() ? { name: name.trim(), email: email.trim() } : undefined;
  const nothing = tree.status.changes.length === 0 && tree.status.ahead === 0;
  return (
    <div className="commit" data-testid="commit-box">
      {canCommit && (
        <form
          className="commit__form"
          onSubmit={(e) => {
            e.preventDefault();
            fire(commitAndPush(message, author));
          }}
        >
          <textarea
            placeholder="Commit message: what and why"
            value={message}
            onChange={(e) => setCommitDraft({ message: e.target.value })}
            rows={3}
            aria-label="Commit message"
            data-testid="commit-message"
          />
          <div className="commit__author">
            <input
              placeholder="Author name"
              value={name}
              onChange={(e) => setCommitDraft({ name: e.target.value })}
              aria-label="Author name"
              data-testid="author-name"
            />
            <input
              placeholder="Author email"
              value={email}
              onChange={(e) => setCommitDraft({ email: e.target.value })}
              aria-label="Author email"
              data-testid="author-email"
            />
          </div>
          <div className="commit__buttons">
            <button
              type="submit"
              className="btn btn--primary"
              disabled={busy || message.trim() === '' || !author || nothing}
              title={problems > 0 ? 'The YAML problems above block the commit' : 'Commit, then push (never forced)'}
              data-testid="commit-and-push"
            >
              {tree.status.changes.length === 0 && tree.status.ahead > 0 ? 'Push' : 'Commit and push'}
            </button>
            <span className="muted">
              to {tree.branch} of {tree.url}
            </span>
          </div>
        </form>
      )}
      <Outcome flow={flow} tree={tree} />
    </div>
  );
}

export function ReviewPanel(): React.JSX.Element | null {
  const workTreeId = useAppStore((s) => s.review?.workTreeId);
  const tree = useAppStore((s) => (workTreeId === undefined ? undefined : s.workTrees[workTreeId]));
  const pushed = useAppStore((s) => s.review?.commit.step === 'pushed');
  if (!tree) return null;
  return (
    <div className="review" data-testid="review">
      <div className="review__left">
        <h3 className="section-title">Changed files</h3>
        {tree.status.changes.length === 0 ? (
          <p className="muted">
            {tree.status.ahead > 0
              ? `${tree.status.ahead} commit${tree.status.ahead === 1 ? '' : 's'} not pushed yet.`
              : 'No changes.'}
          </p>
        ) : (
          <ul className="review__files">
            {tree.status.changes.map((c) => (
              <li key={c.path}>
                <span className={`files__change is-${c.change}`}>{c.change}</span>{' '}
                <button
                  type="button"
                  className="link"
                  disabled={c.change === 'deleted'}
                  onClick={() => fire(openFile(tree.id, c.path))}
                >
                  {c.path}
                </button>
              </li>
            ))}
          </ul>
        )}
        <h3 className="section-title">
          {pushed ? 'What the pushed commit changes' : 'What it would change in the cluster'}
        </h3>
        <Preview workTreeId={tree.id} />
        <h3 className="section-title">Commit and push</h3>
        <CommitBox tree={tree} />
      </div>
      <div className="review__right">
        <ObjectDiff />
      </div>
    </div>
  );
}
