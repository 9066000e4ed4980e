/**
 * Pure state changes of the editor: tabs (open, close, flags), and where committing and pushing stands after each
 * answer from main. Kept apart from the actions so they are unit-tested without a transport.
 */
import { insidePath } from '../../main/contract/flux-paths.ts';
import type {
  ArtifactPushProgress,
  CommitResult,
  FluxObject,
  KustomizationKey,
  PreviewProgress,
  PushResult,
  ReapplyResult,
  WorkTree,
  YamlProblem,
} from '../../main/contract/index.ts';
import type { ArtifactPushState, CommitFlow, EditorTab, ReviewState } from './slices/editor.ts';

export const fileTabId = (workTreeId: string, path: string): string => `file:${workTreeId}:${path}`;
export const objectTabId = (nodeId: string): string => `object:${nodeId}`;

/** Adds a tab unless it is open already (then the list is returned unchanged). */
export function openTab(tabs: readonly EditorTab[], tab: EditorTab): EditorTab[] {
  return tabs.some((t) => t.id === tab.id) ? (tabs as EditorTab[]) : [...tabs, tab];
}

/** Closes a tab; if it was active, its right neighbour (else the left one) becomes active. */
export function closeTab(
  state: { tabs: readonly EditorTab[]; activeTab: string | undefined },
  id: string,
): { tabs: EditorTab[]; activeTab: string | undefined } {
  const i = state.tabs.findIndex((t) => t.id === id);
  if (i < 0) return { tabs: [...state.tabs], activeTab: state.activeTab };
  const tabs = state.tabs.filter((t) => t.id !== id);
  if (state.activeTab !== id) return { tabs, activeTab: state.activeTab };
  return { tabs, activeTab: (tabs[i] ?? tabs[i - 1])?.id };
}

/** Changes one tab's fields; the same list comes back when nothing changed (selectors stay quiet). */
export function updateTab(tabs: readonly EditorTab[], id: string, patch: Partial<EditorTab>): EditorTab[] {
  const i = tabs.findIndex((t) => t.id === id);
  const tab = tabs[i];
  if (!tab) return tabs as EditorTab[];
  const merged = { ...tab, ...patch };
  if ((Object.keys(patch) as (keyof EditorTab)[]).every((k) => Object.is(tab[k], merged[k])))
    return tabs as EditorTab[];
  return tabs.map((t, j) => (j === i ? merged : t));
}

/** The dirty tabs of one work tree (saved before a preview or a commit). */
export function dirtyTabs(tabs: readonly EditorTab[], workTreeId: string): EditorTab[] {
  return tabs.filter((t) => t.kind === 'file' && t.workTreeId === workTreeId && t.dirty);
}

/** The Kustomizations a commit of `files` changes (in every connected cluster), the repository's own cluster first. */
export function affectedKustomizations(tree: WorkTree, files: readonly string[]): KustomizationKey[] {
  return tree.kustomizations
    .filter((k) => files.some((f) => insidePath(k.path, f)))
    .sort((a, b) => Number(b.key.cluster === tree.repo.cluster) - Number(a.key.cluster === tree.repo.cluster))
    .map((k) => k.key);
}

/** What a commit's answer means for the flow: go on to push, or stop and say why. */
export function flowAfterCommit(result: CommitResult): CommitFlow | 'push' {
  switch (result.status) {
    case 'committed':
      return 'push';
    case 'invalid':
      return { step: 'invalid', problems: result.problems };
    case 'nothing-to-commit':
      return { step: 'nothing' };
  }
}

/** What a push's answer means: pushed (then reconcile), or what the user can do about a moved or refusing server. */
export function flowAfterPush(result: PushResult, reconcile: readonly KustomizationKey[]): CommitFlow {
  switch (result.status) {
    case 'pushed':
    case 'up-to-date':
      return { step: 'pushed', commit: result.commit, reconciles: reconcile.map((key) => ({ key })) };
    case 'remote-moved':
      return { step: 'remote-moved', commit: result.commit, message: result.message };
    case 'rejected':
      return { step: 'rejected', commit: result.commit, reason: result.reason, message: result.message };
  }
}

/** After "fetch and re-apply": push again, or a conflict to resolve (keep mine, or abort). */
export function flowAfterReapply(result: ReapplyResult): CommitFlow | 'push' {
  return result.status === 'conflict' ? { step: 'conflict', files: result.files, message: result.message } : 'push';
}

/** `apps/deploy.yaml:5:3: message`, as git and compilers print a location. */
export function formatProblem(p: YamlProblem): string {
  return `${p.path}:${p.line}:${p.column}: ${p.message}`;
}

/** A preview's progress event, applied only to the preview that is running with that id. */
export function applyPreviewProgress(review: ReviewState | undefined, p: PreviewProgress): ReviewState | undefined {
  const preview = review?.preview;
  if (!review || preview?.previewId !== p.previewId || preview.status !== 'running') return review;
  return { ...review, preview: { ...preview, progress: p } };
}

// ---------------------------------------------------------------------------------------------------------------
// Pushing a work tree directory as an OCI artifact

/** Every directory of the work tree that holds a file, `.` (the whole tree) first. */
export function workTreeDirs(tree: WorkTree): string[] {
  const dirs = new Set<string>();
  for (const f of tree.files) {
    const parts = f.split('/').slice(0, -1);
    for (let i = 1; i <= parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  return ['.', ...[...dirs].sort()];
}

/** What to push unless the user picks otherwise: the first Kustomization's path that exists here, else everything. */
export function defaultArtifactDir(tree: WorkTree): string {
  const dirs = new Set(workTreeDirs(tree));
  const path = tree.kustomizations
    .map((k) => k.path.replace(/^\.?\/+/, '').replace(/\/+$/, ''))
    .find((p) => dirs.has(p));
  return path || '.';
}

/** `oci://host/repo` of an OCIRepository URL or a push target, without tag or digest, for comparing the two. */
export function ociRepositoryOf(url: string): string {
  const rest = url.replace(/^oci:\/\//, '').replace(/@sha256:[0-9a-f]+$/, '');
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  return `oci://${colon > slash ? rest.slice(0, colon) : rest}`;
}

/** The OCIRepositories (node id and object) in connected clusters that follow `repository` (`oci://host/repo`). */
export function ociRepositoriesAt(
  objects: Readonly<Record<string, FluxObject>>,
  repository: string,
): [string, FluxObject][] {
  return Object.entries(objects).filter(
    ([, o]) => o.kind === 'OCIRepository' && o.url !== undefined && ociRepositoryOf(o.url) === repository,
  );
}

/** A push's progress event, applied only to the push that is running with that id. */
export function applyArtifactProgress(
  push: ArtifactPushState | undefined,
  p: ArtifactPushProgress,
): ArtifactPushState | undefined {
  if (push?.pushId !== p.pushId || push.status !== 'running') return push;
  return { ...push, progress: p };
}
