import type { StateCreator } from 'zustand';

import type {
  AbortResult,
  ArtifactPushProgress,
  ArtifactPushResult,
  FluxKey,
  KustomizationKey,
  PreviewProgress,
  WorkTree,
  WorkTreePreview,
  YamlProblem,
} from '../../../main/contract/index.ts';
import type { AppState } from '../index.ts';

/**
 * One open editor tab: a file of a work tree, or a Flux object edited in place. Only ids and flags live here; the
 * Monaco models (the text) live in renderer/features/editor/models.ts.
 */
export interface EditorTab {
  /** `file:<workTreeId>:<path>` or `object:<node id>`. */
  id: string;
  kind: 'file' | 'object';
  title: string;
  /** The path, or `cluster · namespace`. */
  detail: string;
  workTreeId?: string;
  path?: string;
  key?: FluxKey;
  /** Objects: the resourceVersion the edit started from (an apply of a stale copy is refused). */
  resourceVersion?: string;
  /** Objects applied from Git by a Kustomization: an edit here may be put back. */
  managedBy?: { namespace: string; name: string };
  dirty: boolean;
  /** Errors the YAML checks found in the tab (syntax and schema), as Monaco marks them. */
  errors: number;
  state: 'loading' | 'ready' | 'saving' | 'error';
  error?: string;
}

export interface PreviewState {
  previewId: string;
  status: 'running' | 'ready' | 'error';
  progress?: PreviewProgress;
  result?: WorkTreePreview;
  error?: string;
}

export interface ReconcileAfterPush {
  key: KustomizationKey;
  /** Set once its reconcile was requested; the actions slice has the progress. */
  since?: number;
}

/** Where committing and pushing stands, and what the user can do next. */
export type CommitFlow =
  | { step: 'edit' }
  | { step: 'busy'; doing: 'saving' | 'committing' | 'pushing' | 'reapplying' | 'aborting' }
  | { step: 'invalid'; problems: YamlProblem[] }
  | { step: 'nothing' }
  | { step: 'remote-moved'; commit: string; message: string }
  | { step: 'conflict'; files: string[]; message: string }
  | { step: 'rejected'; commit: string; reason: 'auth' | 'hook' | 'network'; message: string }
  | { step: 'aborted'; result: AbortResult }
  | { step: 'pushed'; commit: string; reconciles: ReconcileAfterPush[] }
  | { step: 'error'; message: string; hint?: string };

/** The commit form as the user typed it: kept here so switching tabs to fix a problem does not lose it. */
export interface CommitDraft {
  message: string;
  name: string;
  email: string;
}

export interface ReviewState {
  workTreeId: string;
  draft: CommitDraft;
  preview?: PreviewState;
  /** The object whose live/desired diff is shown: `<ks key>|<group>|<kind>|<namespace>|<name>`. */
  selected?: string;
  commit: CommitFlow;
}

/** "Push as OCI artifact" from a work tree: the form as typed, then the push's progress and outcome. */
export interface ArtifactPushState {
  workTreeId: string;
  /** A directory of the work tree, `.` for all of it. */
  dir: string;
  url: string;
  insecure: boolean;
  status: 'editing' | 'running' | 'pushed' | 'error';
  pushId?: string;
  progress?: ArtifactPushProgress;
  result?: ArtifactPushResult;
  error?: { message: string; hint?: string };
}

/** The special tab that reviews a work tree's changes: preview, commit and push. */
export const REVIEW_TAB = 'review';

export interface EditorSlice {
  workTrees: Record<string, WorkTree>;
  /** The node id of the GitRepository being opened. */
  openingRepo: string | undefined;
  tabs: EditorTab[];
  /** A tab id, or REVIEW_TAB. */
  activeTab: string | undefined;
  /** The work tree the file list shows. */
  activeWorkTree: string | undefined;
  review: ReviewState | undefined;
  artifactPush: ArtifactPushState | undefined;
  /** Bumped to make the code editor reveal a location (a YAML problem clicked in the review). */
  revealRequest: number;
}

export const createEditorSlice: StateCreator<AppState, [], [], EditorSlice> = () => ({
  workTrees: {},
  openingRepo: undefined,
  tabs: [],
  activeTab: undefined,
  activeWorkTree: undefined,
  review: undefined,
  artifactPush: undefined,
  revealRequest: 0,
});
