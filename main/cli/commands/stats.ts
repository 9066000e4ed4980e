import { join } from 'node:path';
import { parseArgs } from 'node:util';

import type { EngineStats } from '../../contract/index.ts';
import { readPublishedStats } from '../../engine/cost-meter.ts';
import { formatDuration, parseDuration } from '../../flux/duration.ts';
import { defaultDataDir } from '../../util/paths.ts';
import { type CliIO, type Command, UsageError } from '../command.ts';
import { formatTable } from '../table.ts';

const mib = (bytes: number): string => `${Math.round(bytes / (1024 * 1024))} MiB`;
const millis = (ms: number): string => (ms >= 1000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.round(ms)}ms`);

/** One running instance's snapshot as text: the process line, then a table per cluster and per kind. */
export function formatStats(s: EngineStats, now: number): string {
  const age = Math.max(0, Math.round((now - Date.parse(s.at)) / 1000));
  const head =
    `fluxdeck pid ${s.pid} (${s.identity}) up ${formatDuration(s.uptimeSeconds * 1000)}: ` +
    `RSS ${mib(s.process.rssBytes)}, heap ${mib(s.process.heapUsedBytes)}, ` +
    `event loop p99 ${s.process.eventLoopLagP99Ms} ms (snapshot ${age}s old)\n`;
  if (s.clusters.length === 0) return `${head}no cluster connected\n`;
  const clusters = formatTable(
    ['CLUSTER', 'QUEUED', 'RUNNING', 'SCHEDULED', 'API REQ/MIN', 'API REQUESTS'],
    s.clusters.map((c) => [
      c.context,
      c.queue ? String(c.queue.waiting) : '-',
      c.queue ? String(c.queue.inFlight) : '-',
      c.queue ? String(c.queue.scheduled) : '-',
      String(c.requestsPerMinute),
      String(c.requestsTotal),
    ]),
  );
  const kindRows = s.clusters.flatMap((c) =>
    c.kinds.map((k) => [
      c.context,
      k.kind,
      String(k.reconcilesPerMinute),
      String(k.failuresPerMinute),
      millis(k.p50Ms),
      millis(k.p99Ms),
      String(k.total),
    ]),
  );
  const kinds =
    kindRows.length === 0
      ? 'no reconcile yet\n'
      : formatTable(['CLUSTER', 'KIND', 'RECONCILES/MIN', 'FAILED/MIN', 'P50', 'P99', 'TOTAL'], kindRows);
  return `${head}\n${clusters}\n${kinds}`;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });
}

function print(dir: string, json: boolean, io: CliIO): boolean {
  const found = readPublishedStats(dir);
  if (json) io.out(`${JSON.stringify(found, null, 2)}\n`);
  else if (found.length > 0) io.out(found.map((s) => formatStats(s, Date.now())).join('\n'));
  return found.length > 0;
}

export const statsCommand: Command = {
  name: 'stats',
  summary: 'Show what running Fluxdeck instances spend: reconciles, queue, API requests, memory',
  usage: 'fluxdeck stats [--data-dir DIR] [--json] [--watch [--interval 5s]]',
  run: async (args, io) => {
    let values;
    try {
      ({ values } = parseArgs({
        args,
        options: {
          'data-dir': { type: 'string' },
          json: { type: 'boolean' },
          watch: { type: 'boolean', short: 'w' },
          interval: { type: 'string' },
        },
      }));
    } catch (err) {
      throw new UsageError((err as Error).message, { cause: err });
    }
    const dataDir = values['data-dir'] ?? defaultDataDir();
    const dir = join(dataDir, 'stats');
    let every: number;
    try {
      every = parseDuration(values.interval ?? '5s');
    } catch (err) {
      throw new UsageError(`--interval ${values.interval ?? ''}: ${(err as Error).message}`, { cause: err });
    }
    const json = values.json === true;
    const any = print(dir, json, io);
    if (!any && !json)
      io.err(
        `No running Fluxdeck instance publishes stats in ${dataDir}: start \`fluxdeck run\`, \`fluxdeck serve\` or the ` +
          `app (with the same --data-dir), then run this again.\n`,
      );
    if (values.watch !== true) return any ? 0 : 1;
    // Redraws until Ctrl-C; instances that start or stop meanwhile come and go.
    for (;;) {
      await sleep(every, io.signal);
      if (io.signal.aborted) return 0;
      io.out('\n');
      print(dir, json, io);
    }
    return 0;
  },
};
