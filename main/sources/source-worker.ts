/**
 * Worker-thread entry for fetches and archive builds. Several jobs may run at once (they are mostly I/O); an `abort`
 * message cancels one through its AbortController. One worker keeps the isomorphic-git cache objects of the
 * repositories routed to it, so repeated fetches of a repository stay fast.
 */
import { parentPort } from 'node:worker_threads';

import { lowerWorkerThreadPriority } from '../util/worker-limits.ts';
import { runSourceJob, serializeError, type SourceJob } from './source-jobs.ts';

lowerWorkerThreadPriority();

export type WorkerRequest = { id: number; job: SourceJob } | { id: number; abort: true };
export type WorkerReply = { id: number; result: unknown } | { id: number; error: ReturnType<typeof serializeError> };

const running = new Map<number, AbortController>();

parentPort?.on('message', (msg: WorkerRequest) => {
  if ('abort' in msg) {
    running.get(msg.id)?.abort(new Error('cancelled'));
    return;
  }
  const ctl = new AbortController();
  running.set(msg.id, ctl);
  runSourceJob(msg.job, ctl.signal)
    .then(
      (result) => parentPort?.postMessage({ id: msg.id, result } satisfies WorkerReply),
      (err: unknown) => parentPort?.postMessage({ id: msg.id, error: serializeError(err) } satisfies WorkerReply),
    )
    .finally(() => running.delete(msg.id));
});
