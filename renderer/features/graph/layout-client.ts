/**
 * Lays out a projection: at once with ELK's cached layouts and provisional ones (quickLayout) for components whose
 * shape changed, then again when the worker's ELK has laid those out. Only changed components go to ELK.
 */
import {
  assemble,
  type Component,
  type ComponentLayout,
  components,
  ELK_OPTIONS,
  type ElkJob,
  elkJob,
  type Layout,
  quickLayout,
} from './layout-model.ts';
import type { Projection } from './projection.ts';

export type ElkRunner = (jobs: ElkJob[]) => Promise<ComponentLayout[]>;

type Waiter = { resolve(r: ComponentLayout[]): void; reject(e: Error): void };

function startWorker(waiting: Map<number, Waiter>): Worker {
  const worker = new Worker(new URL('./layout.worker.ts', import.meta.url), { type: 'module', name: 'graph-layout' });
  worker.onmessage = (e: MessageEvent<{ id: number; results?: ComponentLayout[]; error?: string }>) => {
    const w = waiting.get(e.data.id);
    waiting.delete(e.data.id);
    if (e.data.results) w?.resolve(e.data.results);
    else w?.reject(new Error(`graph layout failed: ${e.data.error ?? 'unknown error'}`));
  };
  return worker;
}

/**
 * A graph shaped like a real skeleton (sources feeding blocks, a few dependsOn chains), laid out by every worker at
 * start: ELK is compiled Java, and its first real layout runs several times slower than later ones. Paying that while
 * the snapshot is on its way takes it off the time to first graph.
 */
function warmUpJob(): ElkJob {
  const children = [
    { id: 's0', width: 248, height: 60 },
    { id: 's1', width: 248, height: 60 },
  ];
  const edges: ElkJob['graph']['edges'] = [];
  for (let i = 0; i < 40; i++) {
    children.push({ id: `k${i}`, width: 520, height: 150 });
    edges.push({ id: `s${i}`, sources: [`s${i % 2}`], targets: [`k${i}`] });
    if (i % 4 === 3) edges.push({ id: `d${i}`, sources: [`k${i - 1}`], targets: [`k${i}`] });
  }
  return { key: 'warm-up', graph: { id: 'root', layoutOptions: ELK_OPTIONS, children, edges } };
}

/**
 * The default runner: a small pool of module workers (Vite bundles layout.worker.ts with elkjs). Components are
 * spread over the workers, biggest first, so the clusters of a large fleet lay out in parallel.
 */
export function workerRunner(size = Math.max(1, Math.min(2, (navigator.hardwareConcurrency || 2) - 1))): ElkRunner {
  const waiting = new Map<number, Waiter>();
  const workers = Array.from({ length: size }, () => startWorker(waiting));
  let nextId = 1;
  const post = (worker: Worker, jobs: ElkJob[]): Promise<ComponentLayout[]> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, { resolve, reject });
      worker.postMessage({ id, jobs });
    });
  for (const w of workers) post(w, [warmUpJob()]).catch(() => undefined);
  return async (jobs) => {
    const shares: ElkJob[][] = workers.map(() => []);
    const load = workers.map(() => 0);
    for (const job of [...jobs].sort((a, b) => b.graph.children.length - a.graph.children.length)) {
      const i = load.indexOf(Math.min(...load));
      shares[i]?.push(job);
      load[i] = (load[i] ?? 0) + job.graph.children.length + job.graph.edges.length;
    }
    const parts = await Promise.all(
      shares.map((share, i) => {
        const worker = workers[i];
        return share.length > 0 && worker ? post(worker, share) : Promise.resolve([]);
      }),
    );
    return parts.flat();
  };
}

export interface LayoutClient {
  /**
   * Positions to show now, without waiting: ELK's for components it already laid out, provisional ones (quickLayout)
   * for the rest. `final` says whether every component came from ELK.
   */
  now(p: Projection): { layout: Layout; final: boolean };
  /** ELK's layout of the whole graph; only components not laid out before go to the worker. */
  refine(p: Projection): Promise<Layout>;
  /** Layouts currently cached (one per component shape). */
  readonly cached: number;
}

export function createLayoutClient(run: ElkRunner, maxCached = 2000): LayoutClient {
  const cache = new Map<string, ComponentLayout>();
  const pick = (comps: Component[]): Map<string, ComponentLayout> => {
    const used = new Map<string, ComponentLayout>();
    for (const c of comps) used.set(c.key, cache.get(c.key) ?? quickLayout(c));
    return used;
  };
  return {
    now(p) {
      const comps = components(p);
      return { layout: assemble(comps, pick(comps)), final: comps.every((c) => cache.has(c.key)) };
    },
    async refine(p) {
      const comps = components(p);
      const missing = comps.filter((c) => !cache.has(c.key));
      if (missing.length > 0) for (const r of await run(missing.map(elkJob))) cache.set(r.key, r);
      for (const c of comps) {
        // Mark as recently used: a Map iterates in insertion order, so the oldest shapes are evicted first.
        const l = cache.get(c.key);
        if (!l) continue;
        cache.delete(c.key);
        cache.set(c.key, l);
      }
      const used = pick(comps);
      for (const key of cache.keys()) {
        if (cache.size <= maxCached) break;
        cache.delete(key);
      }
      return assemble(comps, used);
    },
    get cached() {
      return cache.size;
    },
  };
}
