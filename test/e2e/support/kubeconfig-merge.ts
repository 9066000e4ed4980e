/** Merges kubeconfig files into one (clusters, users and contexts concatenated; the first's current-context). */
import { readFile, writeFile } from 'node:fs/promises';

import { parse, stringify } from 'yaml';

interface Kubeconfig {
  clusters?: unknown[];
  users?: unknown[];
  contexts?: unknown[];
  'current-context'?: string;
  [key: string]: unknown;
}

export async function mergeKubeconfigs(files: string[], into: string): Promise<void> {
  const configs = await Promise.all(files.map(async (f) => parse(await readFile(f, 'utf8')) as Kubeconfig));
  const [first] = configs;
  const merged: Kubeconfig = {
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': first?.['current-context'],
    clusters: configs.flatMap((c) => c.clusters ?? []),
    users: configs.flatMap((c) => c.users ?? []),
    contexts: configs.flatMap((c) => c.contexts ?? []),
  };
  await writeFile(into, stringify(merged), { mode: 0o600 });
}
