/**
 * A small pool of build workers: builds queue when every worker is busy, a crashed worker is replaced, and errors
 * come back as KustomizeError with the file, line and column the worker reported.
 *
 * Workers keep the last few in-memory trees they were sent under the request's `filesKey` (an artifact's digest).
 * Every Kustomization of a source builds from the same artifact: sending its files once per worker instead of once
 * per build took the structured clone off the main thread (`bench loop --apps 1000`: ~3 s of postMessage) and the
 * index building off the workers (MemoryFs over 5,000 files per build: most of their time). The pool alone decides
 * what a worker holds and tells it what to forget, so the two sides cannot disagree.
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

/** Trees a worker keeps, and the largest it keeps (bigger ones are sent each time, as before). */
const TREES_PER_WORKER = 3;
const MAX_KEPT_TREE_BYTES = 32 * 1024 * 1024;

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
  /** The `filesKey`s each worker holds, least recently used first. */
  private readonly held = new Map<Worker, string[]>();
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
    this.held.set(w, []);
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
    this.held.delete(w);
    if (p) p.reject(new Error('kustomize build worker failed', { cause: err }));
    if (!this.closed) this.pump();
  }

  private pump(): void {
    for (let next = this.queue[0]; next; next = this.queue[0]) {
      const w = this.pick(next.req.filesKey);
      if (!w) return;
      this.queue.shift();
      this.busy.set(w, next);
      w.postMessage(this.message(w, next.req));
    }
  }

  /** An idle worker, preferably one that holds the tree; a new one while the pool is below its size. */
  private pick(filesKey: string | undefined): Worker | undefined {
    const holder = filesKey === undefined ? -1 : this.idle.findIndex((w) => this.held.get(w)?.includes(filesKey));
    if (holder >= 0) return this.idle.splice(holder, 1)[0];
    if (this.busy.size + this.idle.length < this.size) return this.spawn();
    return this.idle.pop();
  }

  /** The request as this worker needs it: without the files it holds, with what it may forget. */
  private message(w: Worker, req: WorkerBuildRequest): WorkerBuildRequest {
    const held = this.held.get(w) ?? [];
    const key = req.filesKey;
    if (key === undefined || !req.files) return req;
    const at = held.indexOf(key);
    if (at >= 0) {
      held.splice(at, 1);
      held.push(key);
      const { files: _files, ...named } = req;
      return named;
    }
    if (treeBytes(req.files) > MAX_KEPT_TREE_BYTES) {
      const { filesKey: _key, ...plain } = req;
      return plain;
    }
    held.push(key);
    return { ...req, forget: held.splice(0, Math.max(0, held.length - TREES_PER_WORKER)) };
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

function treeBytes(files: Map<string, Uint8Array | string>): number {
  let n = 0;
  for (const v of files.values()) n += typeof v === 'string' ? v.length : v.byteLength;
  return n;
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
