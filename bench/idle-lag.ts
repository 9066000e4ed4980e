// The event-loop delay a Node process that does nothing sees on this machine at the same moment: the part of the
// engine's delay that is the OS scheduler's (other processes holding the cores), not the engine's own turns. It runs
// as a separate process at the engine's priority and measures exactly as the engine's cost meter does
// (monitorEventLoopDelay every 10 ms, p99 per 10 s window, less the 10 ms), so the two compare window for window.
import { spawn } from 'node:child_process';

import { lagBeyondSampling, LOOP_SAMPLE_MS } from '../main/engine/engine-stats.ts';

const WINDOW_MS = 10_000;

const SCRIPT = `
const { monitorEventLoopDelay } = require('node:perf_hooks');
const h = monitorEventLoopDelay({ resolution: ${LOOP_SAMPLE_MS} });
h.enable();
setInterval(() => {
  process.stdout.write(JSON.stringify({ at: Date.now(), p99Ns: h.count > 0 ? h.percentile(99) : 0 }) + '\\n');
  h.reset();
}, ${WINDOW_MS});
`;

export interface IdleLag {
  /** The p99 of each whole window that ended since `since` (ms since the epoch). */
  windowsSince(since: number): number[];
  stop(): void;
}

export function startIdleLag(): IdleLag {
  const child = spawn(process.execPath, ['-e', SCRIPT], { stdio: ['ignore', 'pipe', 'inherit'] });
  const windows: { at: number; p99Ns: number }[] = [];
  let partial = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) if (l) windows.push(JSON.parse(l) as { at: number; p99Ns: number });
  });
  return {
    windowsSince: (since) => windows.filter((w) => w.at - WINDOW_MS >= since).map((w) => lagBeyondSampling(w.p99Ns)),
    stop: () => child.kill(),
  };
}
