/**
 * Starts `fluxdeck serve` as the user would (bin/fluxdeck.mjs, the built bundle and renderer), reads the URL it
 * prints, and stops it with SIGINT, checking that it exits on its own: no orphan process.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

import { appRoot } from '../../../main/util/paths.ts';

export interface ServeProcess {
  url: string;
  origin: string;
  token: string;
  output(): string;
  /** SIGINT, then waits for the exit code (SIGKILL after `graceMs`, which fails the caller). */
  stop(graceMs?: number): Promise<number | null>;
}

/** The output of every serve started in this test file that has not been stopped, for failure-screenshots.ts. */
const running = new Set<() => string>();

export function servesRunning(): (() => string)[] {
  return [...running];
}

export async function startServe(opts: {
  kubeconfig: string;
  dataDir: string;
  args?: string[];
  /** Extra environment, e.g. FLUXDECK_HELM_HELPER for the Helm helper a packaged app would bundle. */
  env?: Record<string, string>;
}): Promise<ServeProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      join(appRoot(), 'bin', 'fluxdeck.mjs'),
      'serve',
      '--kubeconfig',
      opts.kubeconfig,
      '--data-dir',
      opts.dataDir,
      '--log-level',
      'info',
      ...(opts.args ?? []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env, KUBECONFIG: opts.kubeconfig } },
  );
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`fluxdeck serve printed no URL within 60 s:\n${out}`)), 60_000);
    const check = (): void => {
      const m = /serving on (http:\/\/\S+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout?.on('data', check);
    exited
      .then((code) => {
        clearTimeout(timer);
        reject(new Error(`fluxdeck serve exited with ${String(code)} before serving:\n${out}`));
      })
      .catch(() => undefined);
  });
  const parsed = new URL(url);
  const output = (): string => out;
  running.add(output);
  exited.then(() => running.delete(output)).catch(() => undefined);
  return {
    url,
    origin: parsed.origin,
    token: parsed.searchParams.get('token') ?? '',
    output,
    stop: async (graceMs = 20_000) => {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
