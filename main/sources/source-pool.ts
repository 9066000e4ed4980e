/**
 * Runs source jobs in worker threads so fetching (isomorphic-git indexes packs in JavaScript) and archiving (inflate,
 * tar, gzip, sha256) never block the main event loop. Jobs carry a routing key (the repository's cache directory):
 * the same key always goes to the same worker, which keeps that repository's isomorphic-git cache warm. Cancelling a
 * job asks the worker to abort it; a worker that does not answer within a grace period is terminated and replaced,
 * so a stuck fetch never holds a reconcile forever.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

import { WORKER_RESOURCE_LIMITS } from '../util/worker-limits.ts';
import { deserializeError, runSourceJob, type SourceJob } from './source-jobs.ts';
import type { WorkerReply, WorkerRequest } from './source-worker.ts';

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  slot: number;
}

export interface SourcePoolOptions {
  /** Worker threads; 0 runs jobs inline on the calling thread (tests, or when no worker script is available). */
  size?: number;
  workerUrl?: URL;
  /** How long a cancelled job may take to stop before its worker is terminated. */
  abortGraceMs?: number;
}

function defaultWorkerUrl(): URL {
  const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  return new URL(`./source-worker.${ext}`, import.meta.url);
}

export class SourcePool {
  private readonly size: number;
  private readonly url: URL;
  private readonly grace: number;
  private readonly workers: (Worker | undefined)[];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  constructor(opts: SourcePoolOptions = {}) {
    this.url = opts.workerUrl ?? defaultWorkerUrl();
    // Bundles that do not ship the worker script still work, on the main thread.
    const available = this.url.protocol !== 'file:' || existsSync(fileURLToPath(this.url));
    this.size = available ? Math.max(0, opts.size ?? 1) : 0;
    this.grace = opts.abortGraceMs ?? 5_000;
    this.workers = Array.from({ length: this.size }, () => undefined);
  }

  get inline(): boolean {
    return this.size === 0;
  }

  run<T>(job: SourceJob, key: string, signal?: AbortSignal): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the source worker pool is closed'));
    if (this.size === 0) return runSourceJob(job, signal) as Promise<T>;
    signal?.throwIfAborted();
    const slot = slotOf(key, this.size);
    const worker = this.worker(slot);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => {
        worker.postMessage({ id, abort: true } satisfies WorkerRequest);
        const timer = setTimeout(() => {
          if (this.pending.has(id))
            this.replace(slot, new Error('the source worker did not stop after a cancel')).catch(() => undefined);
        }, this.grace);
        timer.unref();
      };
      this.pending.set(id, {
        resolve: (v) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(v as T);
        },
        reject: (e) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
        slot,
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      worker.postMessage({ id, job } satisfies WorkerRequest);
    });
  }

  private worker(slot: number): Worker {
    const existing = this.workers[slot];
    if (existing) return existing;
    const w = new Worker(this.url, { resourceLimits: WORKER_RESOURCE_LIMITS });
    w.unref();
    w.on('message', (reply: WorkerReply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if ('error' in reply) p.reject(deserializeError(reply.error));
      else p.resolve(reply.result);
    });
    w.on('error', (err) => {
      this.replace(slot, err).catch(() => undefined);
    });
    w.on('exit', (code) => {
      if (this.workers[slot] === w)
        this.replace(slot, new Error(`source worker exited with code ${code}`)).catch(() => undefined);
    });
    this.workers[slot] = w;
    return w;
  }

  /** Rejects every job of a slot's worker and drops the worker; the next job starts a fresh one. */
  private async replace(slot: number, err: Error): Promise<void> {
    const w = this.workers[slot];
    this.workers[slot] = undefined;
    for (const [id, p] of this.pending) {
      if (p.slot !== slot) continue;
      this.pending.delete(id);
      p.reject(new Error('source job aborted: its worker was stopped', { cause: err }));
    }
    await w?.terminate();
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((_, slot) => this.replace(slot, new Error('the source worker pool is closed'))));
  }
}

function slotOf(key: string, size: number): number {
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) | 0;
  return Math.abs(h) % size;
}
