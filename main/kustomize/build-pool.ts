/**
 * A small pool of build workers: builds queue when every worker is busy, a crashed worker is replaced, and errors
 * come back as KustomizeError with the file, line and column the worker reported.
 */
import { cpus } from 'node:os';
import { Worker } from 'node:worker_threads';

import type { KubeObject } from '../util/kube-object.ts';
import { WORKER_RESOURCE_LIMITS } from '../util/worker-limits.ts';
import type { WorkerBuildReply, WorkerBuildRequest } from './build-protocol.ts';
import { KustomizeError } from './errors.ts';

export type { WorkerBuildRequest };

interface Pending {
  req: WorkerBuildRequest;
  resolve: (objects: KubeObject[]) => void;
  reject: (err: Error) => void;
}

/** The worker script beside this module (.ts when running from source, .js when bundled). */
function defaultWorkerUrl(): URL {
  const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  return new URL(`./build-worker.${ext}`, import.meta.url);
}

export class WorkerPool {
  private readonly size: number;
  private readonly url: URL;
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Pending>();
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;

  constructor(options: { size?: number; workerUrl?: URL } = {}) {
    this.size = Math.max(1, options.size ?? Math.min(2, cpus().length));
    this.url = options.workerUrl ?? defaultWorkerUrl();
  }

  /** Runs one build in a worker; resolves with the objects in output order. */
  run(req: Omit<WorkerBuildRequest, 'id'>): Promise<KubeObject[]> {
    if (this.closed) return Promise.reject(new Error('the kustomize worker pool is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ req: { ...req, id: this.nextId++ }, resolve, reject });
      this.pump();
    });
  }

  private spawn(): Worker {
    const w = new Worker(this.url, { resourceLimits: WORKER_RESOURCE_LIMITS });
    w.on('message', (reply: WorkerBuildReply) => {
      const p = this.busy.get(w);
      if (!p) return;
      this.busy.delete(w);
      this.idle.push(w);
      if (reply.error) p.reject(new KustomizeError(reply.error));
      else p.resolve(reply.objects);
      this.pump();
    });
    w.on('error', (err) => this.lost(w, err));
    w.on('exit', (code) => this.lost(w, new Error(`kustomize build worker exited with code ${code}`)));
    return w;
  }

  private lost(w: Worker, err: Error): void {
    const p = this.busy.get(w);
    this.busy.delete(w);
    const i = this.idle.indexOf(w);
    if (i >= 0) this.idle.splice(i, 1);
    if (p) p.reject(new Error('kustomize build worker failed', { cause: err }));
    if (!this.closed) this.pump();
  }

  private pump(): void {
    for (let next = this.queue[0]; next; next = this.queue[0]) {
      const w = this.idle.pop() ?? (this.busy.size < this.size ? this.spawn() : undefined);
      if (!w) return;
      this.queue.shift();
      this.busy.set(w, next);
      w.postMessage(next.req);
    }
  }

  /** Stops every worker; queued and running builds are rejected. */
  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(new Error('the kustomize worker pool is closed'));
    const all = [...this.idle, ...this.busy.keys()];
    this.idle.length = 0;
    await Promise.all(all.map((w) => w.terminate()));
  }
}

/** One build in a fresh worker that is stopped afterwards (for occasional builds; use a WorkerPool for many). */
export async function buildInWorker(req: Omit<WorkerBuildRequest, 'id'>): Promise<KubeObject[]> {
  const pool = new WorkerPool({ size: 1 });
  try {
    return await pool.run(req);
  } finally {
    await pool.close();
  }
}
