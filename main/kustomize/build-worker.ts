/**
 * Worker-thread entry: runs one build per message, so a large build never blocks the main event loop. Requests and
 * replies are plain structured-cloneable data (see build-pool.ts).
 */
import { parentPort } from 'node:worker_threads';

import { build } from './build.ts';
import type { WorkerBuildReply, WorkerBuildRequest } from './build-protocol.ts';
import { KustomizeError } from './errors.ts';
import { fluxBuild } from './flux.ts';
import { type BuildFs, MemoryFs, NodeFs } from './fs.ts';

function run(req: WorkerBuildRequest): WorkerBuildReply {
  try {
    const fs: BuildFs = req.files ? new MemoryFs(req.files) : new NodeFs(req.root ?? '.');
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
