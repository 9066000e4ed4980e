import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { formatStats, statsCommand } from '../../../main/cli/commands/stats.ts';
import type { EngineStats } from '../../../main/contract/index.ts';
import { cliIO } from '../../support/cli-io.ts';

const snapshot = (over: Partial<EngineStats> = {}): EngineStats => ({
  at: '2026-12-04T12:00:00.000Z',
  identity: 'laptop-42-abc',
  pid: process.pid,
  uptimeSeconds: 125,
  process: { rssBytes: 300 * 1024 * 1024, heapUsedBytes: 120 * 1024 * 1024, eventLoopLagP99Ms: 4.2 },
  clusters: [
    {
      context: 'prod',
      queue: { waiting: 3, inFlight: 4, scheduled: 100 },
      requestsPerMinute: 240,
      requestsTotal: 2012,
      requestsByVerb: { APPLY: 1000, GET: 1012 },
      kinds: [
        { kind: 'Kustomization', reconcilesPerMinute: 97, failuresPerMinute: 2, p50Ms: 85, p99Ms: 1500, total: 400 },
      ],
    },
    { context: 'staging', requestsPerMinute: 0, requestsTotal: 12, requestsByVerb: { LIST: 12 }, kinds: [] },
  ],
  ...over,
});

describe('formatStats', () => {
  it('prints the process, a row per cluster (queue only where it reconciles) and a row per kind', () => {
    const text = formatStats(snapshot(), Date.parse('2026-12-04T12:00:03.000Z'));
    expect(text).toContain(
      `fluxdeck pid ${process.pid} (laptop-42-abc) up 2m5s: RSS 300 MiB, heap 120 MiB, event loop p99 4.2 ms (snapshot 3s old)`,
    );
    expect(text).toMatch(/^prod\s+3\s+4\s+100\s+240\s+2012$/m);
    expect(text).toMatch(/^staging\s+-\s+-\s+-\s+0\s+12$/m);
    expect(text).toMatch(/^prod\s+Kustomization\s+97\s+2\s+85ms\s+1\.5s\s+400$/m);
  });

  it('says when nothing is connected', () => {
    expect(formatStats(snapshot({ clusters: [] }), Date.parse('2026-12-04T12:00:00.000Z'))).toContain(
      'no cluster connected',
    );
  });
});

describe('fluxdeck stats', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'fluxdeck-stats-'));
  });
  afterEach(() => rm(dataDir, { recursive: true, force: true }));

  it('tells how to start an instance when none publishes in the data directory, and exits 1', async () => {
    const io = cliIO();
    expect(await statsCommand.run(['--data-dir', dataDir], io.io)).toBe(1);
    expect(io.err()).toContain(`No running Fluxdeck instance publishes stats in ${dataDir}`);
  });

  it('shows the instances that run and skips snapshots left by dead processes or half written', async () => {
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(dataDir, 'stats'));
    await writeFile(join(dataDir, 'stats', 'live.json'), JSON.stringify(snapshot()));
    // Pid 2^22 + 1 is above Linux's pid_max: no process has it.
    await writeFile(join(dataDir, 'stats', 'dead.json'), JSON.stringify(snapshot({ identity: 'gone', pid: 4194305 })));
    await writeFile(join(dataDir, 'stats', 'torn.json'), '{"at":');
    const io = cliIO();
    expect(await statsCommand.run(['--data-dir', dataDir, '--json'], io.io)).toBe(0);
    const printed = JSON.parse(io.out()) as EngineStats[];
    expect(printed.map((s) => s.identity)).toEqual(['laptop-42-abc']);
  });

  it('refuses a bad --interval', async () => {
    await expect(statsCommand.run(['--data-dir', dataDir, '--interval', 'soon'], cliIO().io)).rejects.toThrow(
      /--interval soon/,
    );
  });
});
