/**
 * "Push as OCI artifact" from a work tree: the form, and the push with its progress events.
 */
import { describeFailure, transport } from '../../store/actions.ts';
import { defaultArtifactDir, ociRepositoryOf } from '../../store/editor-reducers.ts';
import { type AppState, useAppStore } from '../../store/index.ts';
import type { ArtifactPushState } from '../../store/slices/editor.ts';
import { saveAll } from './actions.ts';

const set = (partial: Partial<AppState> | ((s: AppState) => Partial<AppState>)): void => useAppStore.setState(partial);
const get = (): AppState => useAppStore.getState();

/** Opens the form for a work tree, keeping what was typed for it before; the URL starts at an OCIRepository's. */
export function openArtifactPush(workTreeId: string): void {
  const s = get();
  const tree = s.workTrees[workTreeId];
  if (!tree) return;
  if (s.artifactPush?.workTreeId === workTreeId && s.artifactPush.status !== 'running') {
    set({ artifactPush: { ...s.artifactPush, status: 'editing' } });
    return;
  }
  const followed = Object.values(s.objects).find((o) => o.kind === 'OCIRepository' && o.url);
  set({
    artifactPush: {
      workTreeId,
      dir: defaultArtifactDir(tree),
      url: followed?.url ? `${ociRepositoryOf(followed.url)}:latest` : '',
      insecure: false,
      status: 'editing',
    },
  });
}

export function closeArtifactPush(): void {
  set((s) => (s.artifactPush?.status === 'running' ? {} : { artifactPush: undefined }));
}

export function setArtifactForm(patch: Partial<Pick<ArtifactPushState, 'dir' | 'url' | 'insecure'>>): void {
  set((s) => (s.artifactPush ? { artifactPush: { ...s.artifactPush, ...patch } } : {}));
}

/** Saves edited files (the artifact holds what is on disk), then pushes; progress arrives as events. */
export async function pushArtifact(): Promise<void> {
  const form = get().artifactPush;
  if (!form || form.status === 'running') return;
  const pushId = crypto.randomUUID();
  const mine = (s: AppState): boolean => s.artifactPush?.pushId === pushId;
  set({ artifactPush: { ...form, pushId, status: 'running', progress: undefined, error: undefined } });
  try {
    if (!(await saveAll(form.workTreeId))) throw new Error('an edited file could not be saved');
    const result = await transport().invoke('workspace:pushArtifact', {
      id: form.workTreeId,
      pushId,
      dir: form.dir,
      url: form.url.trim(),
      insecure: form.insecure,
    });
    set((s) => (mine(s) && s.artifactPush ? { artifactPush: { ...s.artifactPush, status: 'pushed', result } } : {}));
  } catch (err) {
    const error = describeFailure(err);
    set((s) => (mine(s) && s.artifactPush ? { artifactPush: { ...s.artifactPush, status: 'error', error } } : {}));
  }
}
