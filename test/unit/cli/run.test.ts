import { describe, expect, it } from 'vitest';

import { describeError, runCli } from '../../../main/cli/run.ts';

function io(): { out: string[]; err: string[]; io: Parameters<typeof runCli>[1] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (t) => out.push(t), err: (t) => err.push(t), signal: new AbortController().signal } };
}

describe('fluxdeck CLI dispatcher', () => {
  it('prints help and exits 2 without a command', async () => {
    const t = io();
    expect(await runCli([], t.io)).toBe(2);
    expect(t.out.join('')).toContain('Usage: fluxdeck <command>');
  });

  it('rejects an unknown command with exit code 2', async () => {
    const t = io();
    expect(await runCli(['frobnicate'], t.io)).toBe(2);
    expect(t.err.join('')).toContain("unknown command 'frobnicate'");
  });

  it('runs a command', async () => {
    const t = io();
    expect(await runCli(['version'], t.io)).toBe(0);
    expect(t.out.join('')).toMatch(/^fluxdeck \d+\.\d+\.\d+ \(node /);
  });

  it('refuses an --artifact-url that is not an HTTP address, before starting anything', async () => {
    const t = io();
    expect(await runCli(['run', '--artifact-url', 'source-controller.flux'], t.io)).toBe(2);
    expect(t.err.join('')).toContain("--artifact-url source-controller.flux: give source-controller's address");
  });

  it('refuses a lease duration that is not a Go duration or is under 3 s, before starting anything', async () => {
    for (const [value, said] of [
      ['fifteen', "--leader-election-lease-duration fifteen: invalid duration 'fifteen'"],
      ['2s', '--leader-election-lease-duration 2s: give at least 3s'],
    ] as const) {
      const t = io();
      expect(await runCli(['run', '--leader-election-lease-duration', value], t.io)).toBe(2);
      expect(t.err.join('')).toContain(said);
    }
  });

  it('describes an error with its causes', () => {
    const e = new Error('reconcile failed', { cause: new Error('dial tcp: connection refused') });
    expect(describeError(e)).toBe('reconcile failed\n  caused by: dial tcp: connection refused');
  });
});
