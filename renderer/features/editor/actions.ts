/**
 * What the editor can do, outside React: open a GitRepository's work tree and its files, save them, edit a Flux
 * object in place and apply it, preview the work tree's changes, commit and push them (and the choices when the
 * server moved or refused), then reconcile what the push changed and follow it to Ready.
 */
import { insidePath } from '../../../main/contract/flux-paths.ts';
import type {
  GitAuthor,
  GitCredentials,
  GitRepositoryKey,
  KustomizationKey,
  WorkTree,
} from '../../../main/contract/index.ts';
import { describeFailure, fire, notify, notifyFailure, reconcile, transport } from '../../store/actions.ts';
import {
  affectedKustomizations,
  closeTab,
  dirtyTabs,
  fileTabId,
  flowAfterCommit,
  flowAfterPush,
  flowAfterReapply,
  objectTabId,
  openTab,
  updateTab,
} from '../../store/editor-reducers.ts';
import { fluxKeyOf, identityOf, nodeIdOfKey } from '../../store/ids.ts';
import { type AppState, useAppStore } from '../../store/index.ts';
import {
  type CommitDraft,
  type CommitFlow,
  type EditorTab,
  REVIEW_TAB,
  type ReviewState,
} from '../../store/slices/editor.ts';
import { ApiError } from '../../transport/transport.ts';
import { createModel, disposeModel, markSaved, modelOf, replaceText, requestReveal, textOf } from './models.ts';

const set = (partial: Partial<AppState> | ((s: AppState) => Partial<AppState>)): void => useAppStore.setState(partial);
const get = (): AppState => useAppStore.getState();

const setTab = (id: string, patch: Partial<EditorTab>): void => set((s) => ({ tabs: updateTab(s.tabs, id, patch) }));
const setFlow = (commit: CommitFlow): void => set((s) => (s.review ? { review: { ...s.review, commit } } : {}));
const putTree = (tree: WorkTree): void => set((s) => ({ workTrees: { ...s.workTrees, [tree.id]: tree } }));

const baseName = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

// ---------------------------------------------------------------------------------------------------------------
// Work trees and files

/** The GitRepository a node stands for: itself, or a Kustomization's source. */
export function repoOfNode(nodeId: string): { repo: GitRepositoryKey; path?: string } | undefined {
  const id = identityOf(nodeId);
  const key = id && fluxKeyOf(id);
  if (!key) return undefined;
  if (key.kind === 'GitRepository') return { repo: { ...key, kind: 'GitRepository' } };
  if (key.kind !== 'Kustomization') return undefined;
  const ks = Object.values(get().objects).find(
    (o) => o.cluster === key.cluster && o.kind === key.kind && o.namespace === key.namespace && o.name === key.name,
  );
  const src = ks?.sourceRef;
  if (src?.kind !== 'GitRepository') return undefined;
  return {
    repo: { cluster: key.cluster, kind: 'GitRepository', namespace: src.namespace || key.namespace, name: src.name },
    ...(ks?.path !== undefined && { path: ks.path }),
  };
}

/**
 * "Edit in Git": opens (cloning on first use) the work tree of the node's GitRepository and shows the editor. From a
 * Kustomization, the first YAML file under its path opens too.
 */
export async function openWorkTreeFor(nodeId: string): Promise<void> {
  const target = repoOfNode(nodeId);
  if (!target) return;
  set({ openingRepo: nodeId, view: 'editor' });
  try {
    const tree = await transport().invoke('workspace:open', { repo: target.repo });
    putTree(tree);
    set({ activeWorkTree: tree.id });
    if (tree.update === 'local-changes')
      notify({
        tone: 'info',
        title: 'Your earlier edits are still here',
        message: `The work tree of ${tree.url} (${tree.branch}) has edits or commits the server does not have; it was not updated.`,
        hint: 'Review them, then commit and push, or abort them in the review.',
      });
    const first =
      target.path !== undefined
        ? tree.files.find(
            (f) => /\.ya?ml$/.test(f) && insidePath(target.path ?? '', f) && !/kustomization\.ya?ml$/.test(f),
          )
        : undefined;
    if (first !== undefined) await openFile(tree.id, first);
  } catch (err) {
    notifyFailure('Could not open the work tree', err);
  } finally {
    if (get().openingRepo === nodeId) set({ openingRepo: undefined });
  }
}

/** Opens a file of a work tree in a tab (or shows its tab). */
export async function openFile(workTreeId: string, path: string): Promise<void> {
  const tree = get().workTrees[workTreeId];
  if (!tree) return;
  const id = fileTabId(workTreeId, path);
  set((s) => ({
    activeTab: id,
    tabs: openTab(s.tabs, {
      id,
      kind: 'file',
      title: baseName(path),
      detail: path,
      workTreeId,
      path,
      dirty: false,
      errors: 0,
      state: 'loading',
    }),
  }));
  if (modelOf(id)) return setTab(id, { state: 'ready' });
  try {
    const { text } = await transport().invoke('workspace:read', { id: workTreeId, path });
    await createModel(id, text, baseName(path), tree.repo.cluster);
    setTab(id, { state: 'ready', error: undefined });
  } catch (err) {
    setTab(id, { state: 'error', error: describeFailure(err).message });
  }
}

export function activateTab(id: string): void {
  set({ activeTab: id });
}

/** Closes a tab, asking first when it has unsaved edits. */
export function closeEditorTab(id: string): void {
  const tab = get().tabs.find((t) => t.id === id);
  if (tab?.dirty && !window.confirm(`${tab.title} has unsaved changes. Close it and lose them?`)) return;
  disposeModel(id);
  set((s) => closeTab(s, id));
}

/** Saves a file tab to the work tree (Ctrl+S); an object tab is applied to the cluster instead. */
export async function saveTab(id: string): Promise<boolean> {
  const tab = get().tabs.find((t) => t.id === id);
  const text = textOf(id);
  if (!tab || text === undefined) return false;
  if (tab.kind === 'object') return applyObjectTab(id);
  if (!tab.workTreeId || tab.path === undefined) return false;
  setTab(id, { state: 'saving' });
  try {
    const status = await transport().invoke('workspace:write', { id: tab.workTreeId, path: tab.path, text });
    markSaved(id, text);
    setTab(id, { state: 'ready', error: undefined });
    const tree = get().workTrees[tab.workTreeId];
    if (tree)
      putTree({
        ...tree,
        status,
        files: tree.files.includes(tab.path) ? tree.files : [...tree.files, tab.path].sort(),
      });
    return true;
  } catch (err) {
    setTab(id, { state: 'ready' });
    notifyFailure(`Could not save ${tab.path}`, err);
    return false;
  }
}

/** Saves every edited file of a work tree (before a preview or a commit); false if one could not be saved. */
export async function saveAll(workTreeId: string): Promise<boolean> {
  for (const tab of dirtyTabs(get().tabs, workTreeId)) if (!(await saveTab(tab.id))) return false;
  return true;
}

/** Asks main for the work tree's status (after outside changes) and updates the file list. */
export async function refreshWorkTree(workTreeId: string): Promise<void> {
  const tree = get().workTrees[workTreeId];
  if (!tree) return;
  try {
    putTree({ ...tree, status: await transport().invoke('workspace:status', { id: workTreeId }) });
  } catch (err) {
    notifyFailure('Could not read the work tree status', err);
  }
}

/** Shows a YAML problem: opens its file and puts the cursor on it. */
export async function revealProblem(workTreeId: string, path: string, line: number, column: number): Promise<void> {
  await openFile(workTreeId, path);
  requestReveal(fileTabId(workTreeId, path), line, column);
}

// ---------------------------------------------------------------------------------------------------------------
// Flux objects edited in place

/** Opens a Flux object's YAML (spec, labels, annotations) in a tab, to edit and apply to the cluster. */
export async function editObject(nodeId: string): Promise<void> {
  const id = identityOf(nodeId);
  const key = id && fluxKeyOf(id);
  if (!key) return;
  const tabId = objectTabId(nodeId);
  set((s) => ({
    view: 'editor',
    activeTab: tabId,
    tabs: openTab(s.tabs, {
      id: tabId,
      kind: 'object',
      title: `${key.kind} ${key.name}`,
      detail: `${key.cluster} · ${key.namespace}`,
      key,
      dirty: false,
      errors: 0,
      state: 'loading',
    }),
  }));
  if (modelOf(tabId)) return setTab(tabId, { state: 'ready' });
  try {
    const obj = await transport().invoke('objects:editable', { key });
    await createModel(tabId, obj.yaml, `${key.kind}-${key.name}.yaml`, key.cluster);
    setTab(tabId, {
      state: 'ready',
      resourceVersion: obj.resourceVersion,
      ...(obj.managedBy && { managedBy: obj.managedBy }),
    });
  } catch (err) {
    setTab(tabId, { state: 'error', error: describeFailure(err).message });
  }
}

/** Applies an object tab to the cluster (a merge patch with Flux's client-side-apply field manager). */
export async function applyObjectTab(tabId: string): Promise<boolean> {
  const tab = get().tabs.find((t) => t.id === tabId);
  const text = textOf(tabId);
  if (!tab?.key || text === undefined || tab.resourceVersion === undefined) return false;
  setTab(tabId, { state: 'saving' });
  try {
    const r = await transport().invoke('objects:apply', {
      key: tab.key,
      yaml: text,
      resourceVersion: tab.resourceVersion,
    });
    markSaved(tabId, text);
    setTab(tabId, { state: 'ready', resourceVersion: r.resourceVersion });
    notify(
      {
        tone: 'success',
        title: `${tab.title} ${r.changed ? 'applied' : 'unchanged'}`,
        message: r.changed ? `Changed ${r.fields.join(', ')}` : 'The edit changed nothing.',
      },
      4000,
    );
    return true;
  } catch (err) {
    setTab(tabId, { state: 'ready' });
    notify({
      tone: 'error',
      title: `Could not apply ${tab.title}`,
      ...describeFailure(err),
      ...(err instanceof ApiError &&
        err.code === 'conflict' && { hint: 'Reload it (your edit is lost), then edit again.' }),
    });
    return false;
  }
}

/** Reads the object again, dropping the edit. */
export async function reloadObjectTab(tabId: string): Promise<void> {
  const tab = get().tabs.find((t) => t.id === tabId);
  if (!tab?.key) return;
  try {
    const obj = await transport().invoke('objects:editable', { key: tab.key });
    replaceText(tabId, obj.yaml);
    setTab(tabId, { resourceVersion: obj.resourceVersion });
  } catch (err) {
    notifyFailure(`Could not reload ${tab.title}`, err);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Review: preview, commit, push

/** Shows the review of a work tree's changes and starts a preview. */
export function openReview(workTreeId: string): void {
  const author = get().workTrees[workTreeId]?.author;
  const review: ReviewState = {
    workTreeId,
    draft: { message: '', name: author?.name ?? '', email: author?.email ?? '' },
    commit: { step: 'edit' },
  };
  set((s) => ({ activeTab: REVIEW_TAB, review: s.review?.workTreeId === workTreeId ? s.review : review }));
  fire(runPreview());
}

/** Builds the affected Kustomizations from the work tree and dry-runs them (progress arrives as events). */
export async function runPreview(): Promise<void> {
  const review = get().review;
  if (!review) return;
  const { workTreeId } = review;
  const previewId = crypto.randomUUID();
  // A new preview checks the YAML again: an earlier "commit blocked" no longer says anything.
  set((s) => ({
    review: s.review && {
      ...s.review,
      preview: { previewId, status: 'running' },
      ...(s.review.commit.step === 'invalid' && { commit: { step: 'edit' } }),
    },
  }));
  const mine = (s: AppState): boolean => s.review?.preview?.previewId === previewId;
  try {
    if (!(await saveAll(workTreeId))) throw new Error('an edited file could not be saved');
    const result = await transport().invoke('workspace:preview', { id: workTreeId, previewId });
    set((s) =>
      mine(s) && s.review ? { review: { ...s.review, preview: { previewId, status: 'ready', result } } } : {},
    );
    await refreshWorkTree(workTreeId);
  } catch (err) {
    const error = describeFailure(err).message;
    set((s) =>
      mine(s) && s.review ? { review: { ...s.review, preview: { previewId, status: 'error', error } } } : {},
    );
  }
}

export function setCommitDraft(patch: Partial<CommitDraft>): void {
  set((s) => (s.review ? { review: { ...s.review, draft: { ...s.review.draft, ...patch } } } : {}));
}

export function selectPreviewObject(key: string | undefined): void {
  set((s) => (s.review ? { review: { ...s.review, selected: key } } : {}));
}

/** The Kustomizations the last commit changes (all that read the branch when it is not known what changed). */
function toReconcile(workTreeId: string, files: readonly string[]): KustomizationKey[] {
  const tree = get().workTrees[workTreeId];
  if (!tree) return [];
  return files.length > 0 ? affectedKustomizations(tree, files) : tree.kustomizations.map((k) => k.key);
}

let lastCommitFiles: string[] = [];

/** Saves, commits (refused with the locations when YAML is invalid) and pushes. */
export async function commitAndPush(message: string, author: GitAuthor | undefined): Promise<void> {
  const review = get().review;
  if (!review) return;
  const { workTreeId } = review;
  try {
    setFlow({ step: 'busy', doing: 'saving' });
    if (!(await saveAll(workTreeId))) return setFlow({ step: 'edit' });
    setFlow({ step: 'busy', doing: 'committing' });
    const result = await transport().invoke('workspace:commit', { id: workTreeId, message, ...(author && { author }) });
    const next = flowAfterCommit(result);
    if (next !== 'push') return setFlow(next);
    lastCommitFiles = result.status === 'committed' ? result.files.map((f) => f.path) : [];
    await refreshWorkTree(workTreeId);
    await push();
  } catch (err) {
    setFlow({ step: 'error', ...describeFailure(err) });
  }
}

/** Pushes (never forced); on success reconciles what the commit changed and follows it to Ready. */
export async function push(): Promise<void> {
  const review = get().review;
  if (!review) return;
  const { workTreeId } = review;
  try {
    setFlow({ step: 'busy', doing: 'pushing' });
    const result = await transport().invoke('workspace:push', { id: workTreeId });
    const flow = flowAfterPush(result, toReconcile(workTreeId, lastCommitFiles));
    setFlow(flow);
    await refreshWorkTree(workTreeId);
    if (flow.step === 'pushed') await reconcileAfterPush();
  } catch (err) {
    setFlow({ step: 'error', ...describeFailure(err) });
  }
}

/** "Fetch and re-apply my edit" (or, after a conflict, "keep my version"), then push again. */
export async function reapply(keepMine: boolean): Promise<void> {
  const review = get().review;
  if (!review) return;
  try {
    setFlow({ step: 'busy', doing: 'reapplying' });
    const next = flowAfterReapply(await transport().invoke('workspace:reapply', { id: review.workTreeId, keepMine }));
    if (next !== 'push') return setFlow(next);
    await push();
  } catch (err) {
    setFlow({ step: 'error', ...describeFailure(err) });
  }
}

/** Goes back to the server's branch; the edits are kept in a backup folder, and open tabs show the files as they are. */
export async function abortEdits(): Promise<void> {
  const review = get().review;
  if (!review) return;
  const { workTreeId } = review;
  try {
    setFlow({ step: 'busy', doing: 'aborting' });
    const result = await transport().invoke('workspace:abort', { id: workTreeId });
    for (const tab of get().tabs.filter((t) => t.workTreeId === workTreeId && t.path !== undefined)) {
      const path = tab.path ?? '';
      const text = await transport()
        .invoke('workspace:read', { id: workTreeId, path })
        .then((r) => r.text)
        .catch(() => undefined);
      if (text !== undefined) replaceText(tab.id, text);
      else closeEditorTab(tab.id);
    }
    await refreshWorkTree(workTreeId);
    set((s) => (s.review ? { review: { ...s.review, preview: undefined } } : {}));
    setFlow({ step: 'aborted', result });
  } catch (err) {
    setFlow({ step: 'error', ...describeFailure(err) });
  }
}

/** Credentials the user typed (kept in main only), then the push is tried again. */
export async function pushWithCredentials(credentials: GitCredentials, remember: boolean): Promise<void> {
  const review = get().review;
  if (!review) return;
  try {
    putTree(await transport().invoke('workspace:setCredentials', { id: review.workTreeId, credentials, remember }));
  } catch (err) {
    return setFlow({ step: 'error', ...describeFailure(err) });
  }
  await push();
}

export async function forgetCredentials(workTreeId: string): Promise<void> {
  try {
    putTree(await transport().invoke('workspace:forgetCredentials', { id: workTreeId }));
  } catch (err) {
    notifyFailure('Could not forget the credentials', err);
  }
}

export function backToEditing(): void {
  setFlow({ step: 'edit' });
}

/**
 * Reconciles the Kustomizations the push changed and follows them to Ready: per GitRepository, the first with its
 * source (which fetches the new commit), the others once it is done. Progress shows in the review and on the graph.
 */
async function reconcileAfterPush(): Promise<void> {
  const review = get().review;
  const flow = review?.commit;
  const tree = review && get().workTrees[review.workTreeId];
  if (flow?.step !== 'pushed' || !tree) return;
  const since = Date.now();
  setFlow({ ...flow, reconciles: flow.reconciles.map((r) => ({ ...r, since })) });
  const bySource = new Map<string, KustomizationKey[]>();
  for (const { key } of flow.reconciles) {
    const reader = tree.kustomizations.find((k) => JSON.stringify(k.key) === JSON.stringify(key));
    const source = JSON.stringify(reader?.source ?? tree.repo);
    bySource.set(source, [...(bySource.get(source) ?? []), key]);
  }
  await Promise.all(
    [...bySource.values()].map(async ([first, ...rest]) => {
      if (!first) return;
      await reconcile(nodeIdOfKey(first), true);
      await Promise.all(rest.map((key) => reconcile(nodeIdOfKey(key))));
    }),
  );
}
