import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

import { runCli } from './cli-process.ts';

const exec = promisify(execFile);

/** Where `fluxdeck bootstrap git` goes in a test: the repository, its branch `main`, the cluster and a data dir. */
export interface BootstrapCliTarget {
  url: string;
  path: string;
  kubeconfig: string;
  dataDir: string;
  /** The instance's identity, one per suite so suites sharing nothing do not share a lease. */
  identity: string;
  /** A Go duration for `--timeout`. */
  timeout: string;
}

/** Runs `fluxdeck bootstrap git` against the target, with `extra` flags after the common ones. */
export function runBootstrapCli(
  t: BootstrapCliTarget,
  ...extra: string[]
): Promise<{ code: number | null; output: string }> {
  return runCli(bootstrapArgs(t, ...extra));
}

/** The arguments of `fluxdeck bootstrap git` against the target (for `startCli`, to interrupt it). */
export function bootstrapArgs(t: BootstrapCliTarget, ...extra: string[]): string[] {
  return [
    'bootstrap',
    'git',
    '--url',
    t.url,
    '--branch',
    'main',
    '--path',
    t.path,
    '--kubeconfig',
    t.kubeconfig,
    '--data-dir',
    t.dataDir,
    '--identity',
    t.identity,
    '--timeout',
    t.timeout,
    ...extra,
  ];
}

/** Reads `main` of a bare repository on the test git server: its head commit and a file at it. */
export function mainOf(bare: () => string): {
  head: () => Promise<string>;
  show: (path: string) => Promise<string>;
} {
  return {
    head: async () => (await exec('git', ['-C', bare(), 'rev-parse', 'main'])).stdout.trim(),
    show: async (path) => (await exec('git', ['-C', bare(), 'show', `main:${path}`])).stdout,
  };
}
