/**
 * The ImageUpdateAutomation's Commits tab: where it pushes, the policies it observed, the commits it pushed (each
 * file's diff opens over the panel) and "preview next run", which shows what `fluxdeck image preview` shows: the
 * files the next run would change, computed in a throw-away clone, nothing committed.
 */
import { useEffect } from 'react';
import { useShallow } from 'zustand/react/shallow';

import type { FileDiff } from '../../../main/contract/index.ts';
import { fire, focusNode } from '../../store/actions.ts';
import { nodeIdOf } from '../../store/ids.ts';
import { closeImageDiff, loadImagePanel, openImageDiff, previewNextRun } from '../../store/image-actions.ts';
import { useAppStore } from '../../store/index.ts';
import { Dialog } from '../../ui/Dialog.tsx';
import { timeAgo } from '../../ui/format.ts';
import { DiffEditor } from '../editor/DiffEditor.tsx';

function Files(props: { files: FileDiff[]; title: string }): React.JSX.Element {
  return (
    <ul className="commit-files">
      {props.files.map((f) => (
        <li key={f.path}>
          <button
            type="button"
            className="link"
            data-testid="commit-file"
            onClick={() => openImageDiff({ title: props.title, ...f })}
          >
            {f.path}
          </button>
        </li>
      ))}
    </ul>
  );
}

function Preview(props: { nodeId: string }): React.JSX.Element {
  const p = useAppStore((s) => (s.imagePreview?.nodeId === props.nodeId ? s.imagePreview : undefined));
  return (
    <div className="image-preview" data-testid="image-preview">
      <button
        type="button"
        className="btn"
        disabled={p?.status === 'loading'}
        onClick={() => fire(previewNextRun(props.nodeId))}
        data-testid="preview-next-run"
        title="What the next run would commit, computed in a throw-away clone (fluxdeck image preview); nothing is committed"
      >
        {p?.status === 'loading' ? 'Previewing…' : 'Preview next run'}
      </button>
      {p?.status === 'error' && <p className="error-text">{p.error}</p>}
      {p?.preview && (
        <div data-testid="preview-result">
          {p.preview.files.length === 0 ? (
            <p className="muted">
              Nothing to commit: {p.preview.branch} at <code>{p.preview.head.slice(0, 12)}</code> is up to date.
            </p>
          ) : (
            <p>
              {p.preview.files.length} file{p.preview.files.length === 1 ? '' : 's'} would change on{' '}
              <code>{p.preview.branch}</code> (from <code>{p.preview.head.slice(0, 12)}</code>):
            </p>
          )}
          <Files files={p.preview.files} title={`Next run on ${p.preview.branch}`} />
          {p.preview.skipped.map((s) => (
            <p key={s} className="error-text">
              skipped {s}
            </p>
          ))}
          {p.preview.notes.map((n) => (
            <p key={n} className="muted">
              {n}
            </p>
          ))}
        </div>
      )}
    </div>
  );
}

export function ImageAutomationTab(props: { nodeId: string }): React.JSX.Element {
  const state = useAppStore((s) => (s.imagePanel?.nodeId === props.nodeId ? s.imagePanel : undefined));
  useEffect(() => {
    if (!state) fire(loadImagePanel(props.nodeId));
  }, [props.nodeId, state]);
  if (!state || (state.status === 'loading' && !state.automation))
    return <p className="muted">Reading the automation’s commits…</p>;
  if (!state.automation) return <p className="error-text">{state.error}</p>;
  const v = state.automation;
  const id = (kind: string, group: string, ref: { namespace: string; name: string }): string =>
    nodeIdOf({ cluster: v.key.cluster, group, kind, ...ref });
  return (
    <div className="image-automation" data-testid="image-automation">
      <dl className="facts">
        <dt>Pushes to</dt>
        <dd>
          <button
            type="button"
            className="link"
            onClick={() => focusNode(id('GitRepository', 'source.toolkit.fluxcd.io', v.source))}
          >
            GitRepository {v.source.namespace}/{v.source.name}
          </button>
          {v.pushBranch && (
            <>
              {' '}
              branch <code>{v.pushBranch}</code>
            </>
          )}
        </dd>
        <dt>Last push</dt>
        <dd data-testid="last-push">
          {v.lastPushCommit ? <code>{v.lastPushCommit.slice(0, 7)}</code> : <span className="muted">none yet</span>}
          {v.lastPushTime && <span className="muted"> · {timeAgo(v.lastPushTime)} ago</span>}
        </dd>
        <dt>Last run</dt>
        <dd>{v.lastAutomationRunTime ? `${timeAgo(v.lastAutomationRunTime)} ago` : '—'}</dd>
        <dt>Policies</dt>
        <dd className="links">
          {v.observedPolicies.length === 0 && <span className="muted">none observed yet</span>}
          {v.observedPolicies.map((p) => (
            <button
              key={p.name}
              type="button"
              className="link"
              onClick={() =>
                focusNode(id('ImagePolicy', 'image.toolkit.fluxcd.io', { namespace: v.key.namespace, name: p.name }))
              }
            >
              {p.name} → {p.ref.tag}
            </button>
          ))}
        </dd>
      </dl>
      <Preview nodeId={props.nodeId} />
      <h3 className="section-title">
        Commits <span className="muted">{v.commits.length}</span>
      </h3>
      {v.commitsProblem && <p className="muted">{v.commitsProblem}</p>}
      {!v.commitsProblem && v.commits.length === 0 && <p className="muted">It has pushed nothing yet.</p>}
      <ol className="commits" data-testid="automation-commits">
        {v.commits.map((c) => (
          <li key={c.oid} className="commit" data-testid="automation-commit">
            <div className="commit__head">
              <code>{c.oid.slice(0, 7)}</code>
              <span className="commit__subject">{c.message.split('\n')[0]}</span>
              <span className="muted" title={c.at}>
                {timeAgo(c.at)} ago
              </span>
            </div>
            <Files files={c.files} title={`${c.oid.slice(0, 7)} ${c.message.split('\n')[0] ?? ''}`} />
          </li>
        ))}
      </ol>
    </div>
  );
}

/** One file's change, before (left) and after (right). */
export function ImageDiffDialog(): React.JSX.Element | null {
  const d = useAppStore(useShallow((s) => s.imageDiff));
  if (!d) return null;
  return (
    <Dialog label="Image update diff" testId="image-diff-dialog" wide onClose={closeImageDiff}>
      <h2>{d.path}</h2>
      <p className="muted">{d.title}</p>
      <div className="rollback-diff">
        <DiffEditor live={d.before} desired={d.after} />
      </div>
      <div className="dialog__buttons">
        <button type="button" className="btn btn--ghost" onClick={closeImageDiff}>
          Close
        </button>
      </div>
    </Dialog>
  );
}
