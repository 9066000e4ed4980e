// `fluxdeck run` in its own process, as a user runs it, for the benchmarks that measure the engine from outside
// (`bench flux`, `bench clusters`): its CPU and peak memory from /proc, its API requests and event-loop delay from the
// stats it publishes to `<data-dir>/stats/<identity>.json`.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

import type { EngineStats } from '../main/contract/stats.ts';
import { stopProcess } from '../test/support/flux-controllers.ts';
import { waitFor } from '../test/support/ports.ts';

const TICKS_PER_SECOND = 100; // Linux USER_HZ, what /proc/<pid>/stat counts in

export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

export function peakRssMb(pid: number): number {
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(hwm?.[1] ?? 0) / 1024;
}

export interface FluxdeckProcess {
  pid: number;
  /** The latest published stats snapshot (every `statsEveryMs`), if any yet. */
  published(): EngineStats | undefined;
  /** Waits for the next snapshot, so it includes the work just measured. */
  nextStats(): Promise<EngineStats>;
  stop(): Promise<void>;
}

const ROOT = join(import.meta.dirname, '..');

/** The newest modification time of the files under `dir` (ms). */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true }))
    if (e.isFile()) newest = Math.max(newest, statSync(join(e.parentPath, e.name)).mtimeMs);
  return newest;
}

let said = false;

/**
 * What users run: the bundle `npm run build` makes (out/main/cli.js), when it is newer than every source file under
 * main/. Otherwise the TypeScript sources, with a note: Node strips their types as each module loads, and modules the
 * engine loads on first use did so in the middle of the measured work (2 s of a 10-cluster profile).
 */
function engineEntry(): string {
  const bundle = join(ROOT, 'out', 'main', 'cli.js');
  let current: boolean;
  try {
    current = statSync(bundle).mtimeMs >= newestMtime(join(ROOT, 'main'));
  } catch {
    current = false;
  }
  if (!said)
    console.log(
      current
        ? '(engine: the bundled CLI, out/main/cli.js)'
        : '(engine: the TypeScript sources, as no current bundle exists; `npm run build` first to measure what users run)',
    );
  said = true;
  return current ? bundle : join(ROOT, 'main', 'cli', 'index.ts');
}

/** Starts `fluxdeck run ARGS --data-dir DIR --identity bench` and waits until its clusters are connected. */
export async function startFluxdeckProcess(args: string[], dataDir: string, log: string[]): Promise<FluxdeckProcess> {
  const cli = engineEntry();
  // BENCH_ENGINE_NODE_ARGS profiles the engine under a benchmark, e.g. '--cpu-prof --cpu-prof-dir=/tmp/prof' (Node
  // refuses --cpu-prof in NODE_OPTIONS).
  const nodeArgs = process.env.BENCH_ENGINE_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(
    process.execPath,
    [...nodeArgs, cli, 'run', ...args, '--data-dir', dataDir, '--identity', 'bench'],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    log.push(d);
    if (log.length > 200) log.shift();
  });
  const statsFile = join(dataDir, 'stats', 'bench.json');
  const published = (): EngineStats | undefined => {
    try {
      return JSON.parse(readFileSync(statsFile, 'utf8')) as EngineStats;
    } catch {
      return undefined;
    }
  };
  await waitFor(
    `fluxdeck run to connect\n${log.join('')}`,
    () => Promise.resolve(log.join('').includes('cluster(s) connected')),
    120_000,
  );
  return {
    pid: child.pid ?? 0,
    published,
    nextStats: async () => {
      const before = published()?.at;
      await waitFor('the next published stats', () => Promise.resolve((published()?.at ?? before) !== before), 15_000);
      const s = published();
      if (!s) throw new Error('fluxdeck run published no stats');
      return s;
    },
    stop: () => stopProcess(child),
  };
}
