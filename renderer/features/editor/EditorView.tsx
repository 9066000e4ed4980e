/**
 * The editor: a GitRepository's work tree on the left (its files, what changed, where credentials come from), open
 * tabs of files and Flux objects in the middle, and the review of the work tree's changes (preview, commit, push)
 * as a tab of its own. Monaco models and editors never enter the store; tabs there are ids and flags.
 */
import { useShallow } from 'zustand/react/shallow';

import type { FileChange, WorkTree } from '../../../main/contract/index.ts';
import { fire, showInGraph } from '../../store/actions.ts';
import { nodeIdOfKey } from '../../store/ids.ts';
import { useAppStore } from '../../store/index.ts';
import { REVIEW_TAB } from '../../store/slices/editor.ts';
import { plural } from '../../ui/format.ts';
import {
  activateTab,
  applyObjectTab,
  closeEditorTab,
  forgetCredentials,
  openFile,
  openReview,
  reloadObjectTab,
  saveTab,
} from './actions.ts';
import { openArtifactPush } from './artifact-push.ts';
import { ArtifactPushForm } from './ArtifactPush.tsx';
import { CodeEditor } from './CodeEditor.tsx';
import { ReviewPanel } from './ReviewPanel.tsx';

const CHANGE_MARK: Record<FileChange['change'], string> = { added: 'A', modified: 'M', deleted: 'D' };

const CREDENTIALS: Record<WorkTree['credentials'], string> = {
  secret: "the GitRepository's secretRef",
  keychain: 'yours, kept in the OS keychain',
  memory: 'yours, kept in memory until Fluxdeck stops',
  none: 'none (anonymous)',
};

function FileList(props: { tree: WorkTree }): React.JSX.Element {
  const { tree } = props;
  const activeTab = useAppStore((s) => s.activeTab);
  const changes = new Map(tree.status.changes.map((c) => [c.path, c.change]));
  const deleted = tree.status.changes.filter((c) => c.change === 'deleted').map((c) => c.path);
  const files = [...new Set([...tree.files, ...deleted])].sort();
  let lastDir = '';
  const rows: React.JSX.Element[] = [];
  for (const path of files) {
    const slash = path.lastIndexOf('/');
    const dir = slash < 0 ? '' : path.slice(0, slash);
    if (dir !== lastDir && dir !== '') {
      rows.push(
        <div key={`dir:${dir}`} className="files__dir">
          {dir}/
        </div>,
      );
    }
    lastDir = dir;
    const change = changes.get(path);
    const tabId = `file:${tree.id}:${path}`;
    rows.push(
      <button
        key={path}
        type="button"
        className={`files__file${dir ? ' is-nested' : ''}${change ? ` is-${change}` : ''}${activeTab === tabId ? ' is-active' : ''}`}
        disabled={change === 'deleted'}
        onClick={() => fire(openFile(tree.id, path))}
        title={path}
        data-testid="work-tree-file"
        data-path={path}
      >
        <span className="files__name">{path.slice(slash + 1)}</span>
        {change && <span className="files__change">{CHANGE_MARK[change]}</span>}
      </button>,
    );
  }
  return <div className="files">{rows}</div>;
}

function WorkTreePanel(): React.JSX.Element {
  const trees = useAppStore(useShallow((s) => Object.values(s.workTrees)));
  const activeId = useAppStore((s) => s.activeWorkTree);
  const opening = useAppStore((s) => s.openingRepo);
  const tree = trees.find((t) => t.id === activeId);
  if (!tree)
    return (
      <div className="editor__side-empty">
        {opening !== undefined ? (
          <p>
            <span className="spinner" /> Opening the work tree (a clone on first use)…
          </p>
        ) : (
          <p className="muted">
            Select a GitRepository or a Kustomization in the graph and choose <strong>Edit in Git</strong> to edit its
            files here, or <strong>Edit object</strong> to edit the Flux object itself.
          </p>
        )}
      </div>
    );
  const { status } = tree;
  const pending = status.changes.length + status.ahead;
  return (
    <>
      <div className="wt" data-testid="work-tree" data-id={tree.id}>
        {trees.length > 1 && (
          <select
            className="select"
            aria-label="Work tree"
            value={tree.id}
            onChange={(e) => useAppStore.setState({ activeWorkTree: e.target.value })}
          >
            {trees.map((t) => (
              <option key={t.id} value={t.id}>
                {t.repo.name} ({t.branch})
              </option>
            ))}
          </select>
        )}
        <button type="button" className="link wt__repo" onClick={() => showInGraph(nodeIdOfKey(tree.repo))}>
          GitRepository {tree.repo.namespace}/{tree.repo.name}
        </button>
        <div className="wt__url" title={tree.url}>
          {tree.url}
        </div>
        <div className="wt__meta">
          <span>
            branch <code>{tree.branch}</code>
          </span>
          <span>
            head <code>{status.head.slice(0, 7)}</code>
          </span>
          {status.ahead > 0 && <span className="wt__ahead">{status.ahead} not pushed</span>}
        </div>
        <div className="wt__creds muted">
          Credentials: {CREDENTIALS[tree.credentials]}
          {(tree.credentials === 'keychain' || tree.credentials === 'memory') && (
            <button type="button" className="linklike" onClick={() => fire(forgetCredentials(tree.id))}>
              {' '}
              · forget
            </button>
          )}
        </div>
        {opening !== undefined && (
          <p className="muted">
            <span className="spinner" /> Opening…
          </p>
        )}
        <button
          type="button"
          className="btn btn--primary wt__review"
          disabled={pending === 0}
          onClick={() => openReview(tree.id)}
          data-testid="review-changes"
          title="Preview what the changes would do in the cluster, then commit and push"
        >
          Review changes
          {pending > 0 &&
            ` (${[
              status.changes.length > 0 && plural(status.changes.length, 'file'),
              status.ahead > 0 && plural(status.ahead, 'commit'),
            ]
              .filter(Boolean)
              .join(', ')})`}
        </button>
        <button
          type="button"
          className="btn"
          onClick={() => openArtifactPush(tree.id)}
          data-testid="open-artifact-push"
          title="Pack a directory of this work tree as a Flux OCI artifact and push it to a registry"
        >
          Push as OCI artifact…
        </button>
        <ArtifactPushForm tree={tree} />
      </div>
      <FileList tree={tree} />
    </>
  );
}

function TabBar(): React.JSX.Element {
  const tabs = useAppStore((s) => s.tabs);
  const active = useAppStore((s) => s.activeTab);
  const review = useAppStore((s) => s.review);
  return (
    <div className="etabs" role="tablist">
      {tabs.map((t) => (
        <div
          key={t.id}
          role="tab"
          aria-selected={active === t.id}
          className={`etab${active === t.id ? ' is-active' : ''}${t.kind === 'object' ? ' is-object' : ''}`}
          title={t.detail}
          data-testid="editor-tab"
          data-title={t.title}
          data-dirty={String(t.dirty)}
          data-errors={t.errors}
        >
          <button type="button" className="etab__label" onClick={() => activateTab(t.id)}>
            {t.kind === 'object' && <span className="gnode__kind">OBJ</span>}
            {t.title}
            {t.errors > 0 && <span className="etab__errors">{t.errors}</span>}
          </button>
          <button
            type="button"
            className={`etab__close${t.dirty ? ' is-dirty' : ''}`}
            aria-label={t.dirty ? `${t.title} has unsaved changes; close` : `Close ${t.title}`}
            onClick={() => closeEditorTab(t.id)}
          >
            {t.dirty ? '●' : '×'}
          </button>
        </div>
      ))}
      {review && (
        <div
          role="tab"
          aria-selected={active === REVIEW_TAB}
          className={`etab etab--review${active === REVIEW_TAB ? ' is-active' : ''}`}
        >
          <button
            type="button"
            className="etab__label"
            onClick={() => activateTab(REVIEW_TAB)}
            data-testid="review-tab"
          >
            Review and commit
          </button>
        </div>
      )}
    </div>
  );
}

function TabActions(): React.JSX.Element | null {
  const tab = useAppStore((s) => s.tabs.find((t) => t.id === s.activeTab));
  if (!tab) return null;
  const busy = tab.state === 'saving' || tab.state === 'loading';
  return (
    <div className="tab-actions">
      <span className="tab-actions__what" title={tab.detail}>
        {tab.detail}
      </span>
      {tab.errors > 0 && (
        <span className="error-text" data-testid="tab-errors">
          {tab.errors} {tab.errors === 1 ? 'problem' : 'problems'}: see the marks in the text
        </span>
      )}
      <span className="toolbar__spacer" />
      {tab.kind === 'file' ? (
        <button
          type="button"
          className="btn"
          disabled={busy || !tab.dirty}
          onClick={() => fire(saveTab(tab.id))}
          data-testid="save-file"
        >
          {tab.state === 'saving' ? 'Saving…' : 'Save'} <kbd>Ctrl S</kbd>
        </button>
      ) : (
        <>
          {tab.managedBy && (
            <span className="warn-text" title="Edits here may be put back at its next reconcile">
              Applied from Git by Kustomization {tab.managedBy.namespace}/{tab.managedBy.name}: change it in Git to keep
              it.
            </span>
          )}
          <button
            type="button"
            className="btn btn--ghost"
            disabled={busy}
            onClick={() => fire(reloadObjectTab(tab.id))}
          >
            Reload
          </button>
          <button
            type="button"
            className="btn btn--primary"
            disabled={busy || !tab.dirty || tab.errors > 0}
            title={tab.errors > 0 ? 'Fix the problems first' : 'Merge patch with field manager flux-client-side-apply'}
            onClick={() => fire(applyObjectTab(tab.id))}
            data-testid="apply-object"
          >
            {tab.state === 'saving' ? 'Applying…' : 'Apply to cluster'} <kbd>Ctrl S</kbd>
          </button>
        </>
      )}
    </div>
  );
}

export function EditorView(): React.JSX.Element {
  const activeTab = useAppStore((s) => s.activeTab);
  const tab = useAppStore(useShallow((s) => s.tabs.find((t) => t.id === s.activeTab)));
  const reviewing = activeTab === REVIEW_TAB;
  return (
    <div className="editor" data-testid="editor">
      <aside className="editor__side">
        <WorkTreePanel />
      </aside>
      <section className="editor__main">
        <TabBar />
        {reviewing && <ReviewPanel />}
        <div className="editor__code" hidden={reviewing || !tab}>
          <TabActions />
          {tab?.state === 'error' && <p className="error-text editor__empty">{tab.error}</p>}
          {tab?.state === 'loading' && (
            <p className="muted editor__empty">
              <span className="spinner" /> Loading {tab.title}…
            </p>
          )}
          <CodeEditor tabId={tab?.id} ready={tab !== undefined && tab.state !== 'loading' && tab.state !== 'error'} />
        </div>
        {!reviewing && !tab && (
          <div className="editor__empty">
            <p className="muted">Open a file from the list, or a Flux object from its panel (Edit object).</p>
          </div>
        )}
      </section>
    </div>
  );
}
