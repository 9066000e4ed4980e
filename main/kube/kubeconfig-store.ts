import { type FSWatcher, unwatchFile, watch, watchFile } from 'node:fs';
import { basename, dirname } from 'node:path';

import { kubeconfigPaths, type LoadedKubeconfig, loadKubeconfig } from './kubeconfig.ts';

/**
 * The user's kubeconfigs, kept current while the app runs: `aws eks update-kubeconfig`, `kubectl config use-context`
 * or an editor saving the file are picked up within a fraction of a second, and listeners hear about it once per real
 * change (editors often write a file several times, or replace it through a rename).
 */
export interface KubeconfigStore {
  readonly paths: readonly string[];
  current(): LoadedKubeconfig;
  /** Called after every reload whose result differs from the previous one. Returns an unsubscribe function. */
  onChange(listener: (loaded: LoadedKubeconfig) => void): () => void;
  reload(): Promise<LoadedKubeconfig>;
  close(): void;
}

export interface KubeconfigStoreOptions {
  paths?: string[];
  /** Watch the files for changes (default true). */
  watch?: boolean;
  debounceMs?: number;
}

/** Something comparable that changes whenever the merged result would. Secrets stay inside: never logged. */
function signature(loaded: LoadedKubeconfig): string {
  const c = loaded.config;
  return JSON.stringify([
    c.currentContext,
    [...c.clusters.values()],
    [...c.users.values()],
    [...c.contexts.values()],
    loaded.problems,
  ]);
}

export async function openKubeconfigStore(opts: KubeconfigStoreOptions = {}): Promise<KubeconfigStore> {
  const paths = opts.paths ?? kubeconfigPaths();
  let loaded = await loadKubeconfig(paths);
  let sig = signature(loaded);
  const listeners = new Set<(l: LoadedKubeconfig) => void>();
  const watchers: FSWatcher[] = [];
  const polled: string[] = [];
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let reloading: Promise<LoadedKubeconfig> | undefined;

  const reload = async (): Promise<LoadedKubeconfig> => {
    // Chain reloads so two quick changes never race and the last file state always wins.
    const run = async (): Promise<LoadedKubeconfig> => {
      const next = await loadKubeconfig(paths);
      const nextSig = signature(next);
      if (nextSig !== sig && !closed) {
        loaded = next;
        sig = nextSig;
        for (const l of listeners) l(next);
      }
      return loaded;
    };
    reloading = (reloading ?? Promise.resolve(loaded)).then(run, run);
    return reloading;
  };

  const schedule = (): void => {
    if (closed) return;
    clearTimeout(timer);
    // loadKubeconfig reports broken files as problems instead of throwing, so this cannot reject.
    timer = setTimeout(() => {
      reload().catch(() => undefined);
    }, opts.debounceMs ?? 150);
  };

  if (opts.watch ?? true) {
    const byDir = new Map<string, Set<string>>();
    for (const p of paths) byDir.set(dirname(p), (byDir.get(dirname(p)) ?? new Set()).add(basename(p)));
    for (const [dir, names] of byDir) {
      try {
        // Watching the directory (not the file) also sees files that are created later or replaced by rename.
        const w = watch(dir, { persistent: false }, (_event, name) => {
          if (name === null || names.has(name)) schedule();
        });
        w.on('error', () => undefined);
        watchers.push(w);
      } catch {
        // The directory does not exist yet: poll the files instead (cheap stat calls, no handle on a missing dir).
        for (const n of names) {
          const file = `${dir}/${n}`;
          watchFile(file, { interval: 2000, persistent: false }, schedule);
          polled.push(file);
        }
      }
    }
  }

  return {
    paths,
    current: () => loaded,
    onChange: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    reload,
    close: () => {
      closed = true;
      clearTimeout(timer);
      for (const w of watchers) w.close();
      for (const f of polled) unwatchFile(f);
      listeners.clear();
    },
  };
}
