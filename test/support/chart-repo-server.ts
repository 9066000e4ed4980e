import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import { basename } from 'node:path';

import { stringify } from 'yaml';

export interface ChartRepoEntry {
  name: string;
  version: string;
  appVersion?: string;
  /** The packaged chart on disk. */
  path: string;
}

export interface ChartRepo {
  /** Base URL, e.g. `http://127.0.0.1:41234`; the index is at `${url}/index.yaml`. */
  url: string;
  /** Adds (or replaces) a packaged chart and rewrites the index. */
  add(entry: ChartRepoEntry): Promise<void>;
  /** Requests seen, for tests that check what was fetched and with which credentials. */
  requests: { path: string; authorized: boolean }[];
  close(): Promise<void>;
}

/** `name-1.2.3.tgz` → `{ name, version }`, as `helm package` names its output. */
export function parseChartFileName(file: string): { name: string; version: string } | undefined {
  const m = /^(.+?)-(\d+\.\d+\.\d+[^/]*)\.tgz$/.exec(basename(file));
  return m ? { name: m[1]!, version: m[2]! } : undefined;
}

function authorized(req: IncomingMessage, basic: { username: string; password: string } | undefined): boolean {
  if (!basic) return true;
  const want = Buffer.from(`Basic ${Buffer.from(`${basic.username}:${basic.password}`).toString('base64')}`);
  const got = Buffer.from(req.headers.authorization ?? '');
  return got.length === want.length && timingSafeEqual(got, want);
}

/**
 * A static Helm chart repository on 127.0.0.1, as ChartMuseum or a plain web server serves one: `index.yaml` plus
 * packaged charts under `charts/`, with the digests Helm verifies. With `basic` set, every request needs those
 * credentials (401 otherwise), so tests can check that wrong credentials give a clear error.
 */
export async function startChartRepo(
  opts: { basic?: { username: string; password: string } } = {},
): Promise<ChartRepo> {
  const charts = new Map<string, { entry: ChartRepoEntry; data: Buffer; digest: string }>();
  const requests: ChartRepo['requests'] = [];
  let index = 'apiVersion: v1\nentries: {}\n';
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const ok = authorized(req, opts.basic);
    requests.push({ path, authorized: ok });
    if (!ok) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="fluxdeck-charts"' }).end('authentication required\n');
      return;
    }
    if (path === '/index.yaml') {
      res.writeHead(200, { 'Content-Type': 'application/x-yaml' }).end(index);
      return;
    }
    const chart = path.startsWith('/charts/') ? charts.get(path.slice('/charts/'.length)) : undefined;
    if (!chart) {
      res.writeHead(404).end('not found\n');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/gzip', 'Content-Length': chart.data.length }).end(chart.data);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('chart repo: no TCP address');
  const url = `http://127.0.0.1:${address.port}`;
  const rewrite = (): void => {
    const entries: Record<string, unknown[]> = {};
    for (const [file, { entry, digest }] of charts) {
      (entries[entry.name] ??= []).push({
        apiVersion: 'v2',
        name: entry.name,
        version: entry.version,
        ...(entry.appVersion ? { appVersion: entry.appVersion } : {}),
        created: '2026-01-01T00:00:00Z',
        digest,
        // Relative URLs, as `helm repo index` writes them without --url.
        urls: [`charts/${file}`],
      });
    }
    index = stringify({ apiVersion: 'v1', entries, generated: '2026-01-01T00:00:00Z' });
  };
  return {
    url,
    requests,
    add: async (entry) => {
      const data = await readFile(entry.path);
      const digest = createHash('sha256').update(data).digest('hex');
      charts.set(`${entry.name}-${entry.version}.tgz`, { entry, data, digest });
      rewrite();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
