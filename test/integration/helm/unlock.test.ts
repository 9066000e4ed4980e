// The helper's `unlock` against real Helm storage: a release left pending-upgrade (as when the process doing the
// upgrade dies; made here by editing the stored release record) blocks every Helm action until it is marked failed,
// as helm-controller's Unlock does; `helm history` then reads the failed revision with Flux's description.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync, gzipSync } from 'node:zlib';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { HelmClient, type HelmError, type KubeAccess } from '../../../main/helm/index.ts';
import type { ClusterClient } from '../../../main/kube/cluster-client.ts';
import type { KubeObject } from '../../../main/util/kube-object.ts';
import { clientFor, ensureNamespace } from '../../support/flux-fixture.ts';
import { ensureHelmHelper } from '../../support/helm-helper.ts';
import { ensureTool } from '../../tools/tools.ts';

const exec = promisify(execFile);
const chart = join(import.meta.dirname, '..', '..', 'fixtures', 'helm', 'five');
const ns = `helm-unlock-${randomBytes(3).toString('hex')}`;

let dir: string;
let helm: string;
let helper: HelmClient;
let kube: KubeAccess;
let cluster: ClusterClient;

type ReleaseSecret = KubeObject & { data: { release: string }; metadata: { labels: Record<string, string> } };

/** Rewrites revision `version` of the stored release as if its upgrade had never finished. */
async function markPending(name: string, version: number): Promise<void> {
  const ref = { apiVersion: 'v1', kind: 'Secret', namespace: ns, name: `sh.helm.release.v1.${name}.v${version}` };
  const secret = await cluster.get<ReleaseSecret>(ref);
  // Helm stores base64(gzip(JSON)) in the Secret's `release` key (itself base64 in the API).
  const inner = Buffer.from(Buffer.from(secret.data.release, 'base64').toString('utf8'), 'base64');
  const rel = JSON.parse(gunzipSync(inner).toString('utf8')) as { info: { status: string } };
  rel.info.status = 'pending-upgrade';
  const encoded = gzipSync(Buffer.from(JSON.stringify(rel))).toString('base64');
  await cluster.patch(
    ref,
    {
      metadata: { labels: { status: 'pending-upgrade' } },
      data: { release: Buffer.from(encoded).toString('base64') },
    },
    'merge',
    { fieldManager: 'test' },
  );
}

async function failure(p: Promise<unknown>): Promise<HelmError> {
  try {
    await p;
  } catch (err) {
    return err as HelmError;
  }
  throw new Error('expected the call to fail');
}

beforeAll(async () => {
  const provided = inject('cluster');
  [helm] = await Promise.all([ensureTool('helm'), ensureHelmHelper()]);
  helper = new HelmClient({ path: await ensureHelmHelper() });
  kube = { kubeconfig: await readFile(provided.kubeconfig, 'utf8') };
  cluster = await clientFor(provided.kubeconfig);
  await ensureNamespace(cluster, ns);
  dir = await mkdtemp(join(tmpdir(), 'fluxdeck-helm-unlock-'));
}, 600_000);

afterAll(async () => {
  await helper.dispose();
  cluster.close();
  await rm(dir, { recursive: true, force: true });
});

describe('unlock', () => {
  it('marks a pending release failed so the next upgrade can run, and leaves a settled release alone', async () => {
    const target = { kube, releaseName: 'stuck', namespace: ns, timeoutMs: 60_000 };
    await helper.call('install', { ...target, chart: { path: chart } });
    expect(await helper.call('unlock', target)).toMatchObject({ unlocked: false, release: { status: 'deployed' } });
    await markPending('stuck', 1);
    const locked = await failure(
      helper.call('upgrade', { ...target, chart: { path: chart }, values: { replicas: 2 } }),
    );
    expect(locked.code).toBe('ReleaseLocked');
    const res = await helper.call('unlock', target);
    expect(res).toMatchObject({
      unlocked: true,
      previous: 'pending-upgrade',
      release: { version: 1, status: 'failed', description: "Release unlocked from stale 'pending-upgrade' state" },
    });
    const { stdout } = await exec(helm, ['history', 'stuck', '-n', ns, '-o', 'json'], {
      env: { ...process.env, KUBECONFIG: inject('cluster').kubeconfig, HELM_CACHE_HOME: join(dir, 'c') },
    });
    expect(JSON.parse(stdout)).toEqual([
      expect.objectContaining({
        revision: 1,
        status: 'failed',
        description: "Release unlocked from stale 'pending-upgrade' state",
      }),
    ]);
    const upgraded = await helper.call('upgrade', { ...target, chart: { path: chart }, values: { replicas: 2 } });
    expect(upgraded).toMatchObject({ version: 2, status: 'deployed' });
  });
});
