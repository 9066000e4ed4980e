import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';

import { runCli } from '../../../main/cli/run.ts';
import { type ClusterClient, openCluster } from '../../../main/kube/cluster-client.ts';
import { loadKubeconfig } from '../../../main/kube/kubeconfig.ts';

const cluster = inject('cluster');
const ns = `diffcli-${process.pid}`;
let dir: string;
let client: ClusterClient;

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(['diff-objects', '--kubeconfig', cluster.kubeconfig, ...args], {
    out: (t) => (out += t),
    err: (t) => (err += t),
    signal: new AbortController().signal,
  });
  return { code, out, err };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-diffcli-'));
  const { config } = await loadKubeconfig([cluster.kubeconfig]);
  client = await openCluster(cluster.name, { kubeconfig: config });
  await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
});

afterAll(async () => {
  await client.delete({ apiVersion: 'v1', kind: 'Namespace', name: ns }).catch(() => undefined);
  client.close();
  await rm(dir, { recursive: true, force: true });
});

describe('fluxdeck diff-objects', () => {
  it('shows created objects, then field drift with the manager that caused it, and exits 1 only when something differs', async () => {
    const file = join(dir, 'app.yaml');
    const docs = [
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { color: 'blue' } },
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds' }, stringData: { password: 'hunter2' } },
    ];
    await writeFile(file, docs.map((d) => stringify(d)).join('---\n'));
    const created = await cli('-f', file, '-n', ns);
    expect(created.code).toBe(1);
    expect(created.out).toBe(`► ConfigMap/${ns}/settings created\n► Secret/${ns}/creds created\n`);

    for (const d of docs)
      await client.apply(
        { ...d, metadata: { ...d.metadata, namespace: ns } },
        { fieldManager: 'kustomize-controller' },
      );
    expect(await cli('-f', file, '-n', ns)).toEqual({ code: 0, out: '✔ no changes (2 objects)\n', err: '' });

    await client.patch(
      { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'settings' },
      { data: { color: 'red' } },
      'merge',
      { fieldManager: 'kubectl-edit' },
    );
    await client.patch(
      { apiVersion: 'v1', kind: 'Secret', namespace: ns, name: 'creds' },
      { data: { password: Buffer.from('leaked?').toString('base64') } },
      'merge',
      { fieldManager: 'kubectl-edit' },
    );
    const drifted = await cli('-f', file, '-n', ns);
    expect(drifted.code).toBe(1);
    expect(drifted.out).toMatch(
      new RegExp(
        `► ConfigMap/${ns}/settings drifted\n  ~ data.color: red → blue \\(set by kubectl-edit at [0-9T:-]+Z\\)\n`,
      ),
    );
    expect(drifted.out).toMatch(
      new RegExp(
        `► Secret/${ns}/creds drifted\n  ~ data.password: \\*\\*\\* → \\*\\*\\* \\(changed\\) \\(set by kubectl-edit`,
      ),
    );
    // Secret values never reach the output, in any encoding.
    for (const secret of [
      'hunter2',
      'leaked?',
      Buffer.from('hunter2').toString('base64'),
      Buffer.from('leaked?').toString('base64'),
    ])
      expect(drifted.out).not.toContain(secret);
  });

  it('names the file and line of broken YAML, and reports a rejected object with its id', async () => {
    const broken = join(dir, 'broken.yaml');
    await writeFile(broken, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [unclosed\n');
    const parse = await cli('-f', broken, '-n', ns);
    expect(parse.code).toBe(1);
    expect(parse.err).toMatch(new RegExp(`${broken}:\\d+: invalid YAML`));
    const rejected = join(dir, 'rejected.yaml');
    await writeFile(
      rejected,
      stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'bad' }, spec: { ports: [{ port: 0 }] } }),
    );
    const res = await cli('-f', rejected, '-n', ns);
    expect(res.code).toBe(1);
    expect(res.err).toMatch(new RegExp(`✗ Service/${ns}/bad dry-run failed \\(Invalid\\): Service "bad" is invalid`));
  });
});
