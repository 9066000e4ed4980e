/**
 * Worker-thread entry: runs one build per message, so a large build never blocks the main event loop. Requests and
 * replies are plain structured-cloneable data (see build-pool.ts).
 */
import { parentPort } from 'node:worker_threads';

import { lowerWorkerThreadPriority } from '../util/worker-limits.ts';
import { build } from './build.ts';
import type { WorkerBuildReply, WorkerBuildRequest } from './build-protocol.ts';
import { KustomizeError } from './errors.ts';
import { fluxBuild } from './flux.ts';
import { type BuildFs, MemoryFs, NodeFs } from './fs.ts';

lowerWorkerThreadPriority();

/** The in-memory trees the pool told this worker to keep, by `filesKey`. */
const trees = new Map<string, MemoryFs>();

function treeOf(req: WorkerBuildRequest): BuildFs {
  for (const key of req.forget ?? []) trees.delete(key);
  if (req.filesKey === undefined) return req.files ? new MemoryFs(req.files) : new NodeFs(req.root ?? '.');
  const held = trees.get(req.filesKey);
  if (held) return held;
  if (!req.files) throw new Error(`the build worker does not hold the files '${req.filesKey}' it was asked to build`);
  const fs = new MemoryFs(req.files);
  trees.set(req.filesKey, fs);
  return fs;
}

function run(req: WorkerBuildRequest): WorkerBuildReply {
  try {
    const fs = treeOf(req);
    const objects = req.flux
      ? fluxBuild(fs, req.dir, req.flux, req.fluxOptions)
      : build(fs, req.dir, req.options).objects;
    return { id: req.id, objects };
  } catch (err) {
    const e =
      err instanceof KustomizeError
        ? err.toJSON()
        : { name: 'Error', message: err instanceof Error ? err.message : String(err) };
    return { id: req.id, error: e };
  }
}

parentPort?.on('message', (req: WorkerBuildRequest) => {
  parentPort?.postMessage(run(req));
});
