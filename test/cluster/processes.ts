import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, openSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A control-plane process started by the launcher, with the file its output goes to. */
export interface Component {
  name: string;
  child: ChildProcess;
  log: string;
  exited: Promise<number | null>;
}

/** Raised when a component cannot start: names it and its log so the user knows where to look. */
export class ComponentError extends Error {
  readonly component: string;
  readonly log: string;
  constructor(component: string, log: string, message: string, options?: ErrorOptions) {
    super(`${component}: ${message} (log: ${log})${tailOf(log)}`, options);
    this.name = 'ComponentError';
    this.component = component;
    this.log = log;
  }
}

function tailOf(log: string): string {
  try {
    const lines = readFileSync(log, 'utf8').trimEnd().split('\n').slice(-8);
    return lines.length > 0 && lines[0] !== '' ? `\n  last lines of the log:\n    ${lines.join('\n    ')}` : '';
  } catch {
    return '';
  }
}

/**
 * Starts a binary with its stdout and stderr in `log`. The process gets its own process group (detached), so a
 * terminal's Ctrl-C does not kill it half-way; the launcher's watchdog and stop() are what end it. Its pid is added to
 * `pidFile` as soon as it exists, not once it is healthy: the watchdog reads that file, and a benchmark killed while a
 * kube-apiserver was starting left that apiserver running for good.
 */
export function startComponent(name: string, bin: string, args: string[], log: string, pidFile: string): Component {
  const fd = openSync(log, 'a');
  const child = spawn(bin, args, { stdio: ['ignore', fd, fd], detached: true });
  if (child.pid !== undefined) appendFileSync(pidFile, `${child.pid}\n`);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', () => resolve(-1));
  });
  child.unref();
  return { name, child, log, exited };
}

/** Polls `probe` until it returns true; fails early with the component's log if the process exits. */
export async function waitUntilHealthy(c: Component, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  c.exited.then((code) => (exitCode = code)).catch(() => undefined);
  while (Date.now() < deadline) {
    if (exitCode !== undefined)
      throw new ComponentError(c.name, c.log, `exited with code ${String(exitCode)} before it was healthy`);
    if (await probe().catch(() => false)) return;
    await sleep(150);
  }
  throw new ComponentError(c.name, c.log, `not healthy after ${timeoutMs / 1000}s`);
}

/** Returns `count` distinct free TCP ports on 127.0.0.1. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Server>((resolve, reject) => {
          const s = createServer();
          s.once('error', reject);
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => {
    const a = s.address();
    if (a === null || typeof a === 'string') throw new Error('unexpected server address');
    return a.port;
  });
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/** True if `pid` is alive and its command line mentions `marker` (guards against killing a reused pid). */
export function isOurProcess(pid: number, marker: string): boolean {
  try {
    process.kill(pid, 0);
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker);
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when every process is gone. */
export async function stopPids(pids: number[], marker: string, graceMs = 5000): Promise<void> {
  const alive = (): number[] => pids.filter((p) => isOurProcess(p, marker));
  for (const p of alive()) signal(p, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (alive().length > 0 && Date.now() < deadline) await sleep(50);
  for (const p of alive()) signal(p, 'SIGKILL');
  while (alive().length > 0) await sleep(20);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/**
 * Starts a tiny shell that waits for `ownerPid` to die and then kills the pids listed in `pidFile`. It is what stops
 * the control plane when the test runner is killed (SIGKILL included), since no exit handler runs then.
 */
export function startWatchdog(ownerPid: number, pidFile: string): void {
  const script = `while kill -0 ${ownerPid} 2>/dev/null; do sleep 1; done; for p in $(cat '${pidFile}' 2>/dev/null); do kill -TERM "$p" 2>/dev/null; done; sleep 3; for p in $(cat '${pidFile}' 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done`;
  const child = spawn('sh', ['-c', script], { stdio: 'ignore', detached: true });
  child.unref();
}
