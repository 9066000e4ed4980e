// The image panels and the fleet images view against real parts: tags pushed to the real distribution registry,
// scanned and selected by Fluxdeck's controllers on the real control plane, and Deployments whose containers run the
// image; read through the workbench, as the contract's `images:policy` and `images:fleet` do.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { createFluxdeck, type Fluxdeck } from '../../../main/create-fluxdeck.ts';
import type { ImagePolicy, ImageRepository } from '../../../main/flux/image.ts';
import { fluxKinds } from '../../../main/flux/kinds.ts';
import type { ClusterClient } from '../../../main/kube/cluster-client.ts';
import type { KubeObject } from '../../../main/util/kube-object.ts';
import { clientFor, ensureNamespace, eventually, installCrds, waitForReady } from '../../support/flux-fixture.ts';
import { pushImageTags } from '../../support/image-tags.ts';
import { type RegistryServer, startRegistry } from '../../support/registry.ts';

const cluster = inject('cluster');
const NS = 'image-views';
const REPO = { apiVersion: fluxKinds.ImageRepository.apiVersion, kind: 'ImageRepository' };
const POLICY = { apiVersion: fluxKinds.ImagePolicy.apiVersion, kind: 'ImagePolicy' };
const TAGS = ['1.0.0', '1.1.0', '1.2.0', '2.0.0-rc.1', 'latest', 'main-abc-1700000100', 'main-def-1700000900'];

let registry: RegistryServer;
let client: ClusterClient;
let fluxdeck: Fluxdeck;
let work: string;

const deployment = (name: string, image: string): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: NS },
  spec: {
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image }] } },
  },
});

beforeAll(async () => {
  registry = await startRegistry();
  await pushImageTags(registry.host, 'apps/web', TAGS);
  work = await mkdtemp(join(tmpdir(), 'fluxdeck-image-views-'));
  client = await clientFor(cluster.kubeconfig);
  await installCrds(client);
  await ensureNamespace(client, NS);
  fluxdeck = await createFluxdeck({
    kubeconfigPaths: [cluster.kubeconfig],
    dataDir: join(work, 'data'),
    watchKubeconfigs: false,
    identity: 'image-views',
  });
  await fluxdeck.connect(cluster.name);
  const image = `${registry.host}/apps/web`;
  await client.create<ImageRepository>({
    ...REPO,
    kind: 'ImageRepository',
    metadata: { name: 'web', namespace: NS },
    spec: { image, interval: '10m', insecure: true },
  });
  await client.create<ImagePolicy>({
    ...POLICY,
    kind: 'ImagePolicy',
    metadata: { name: 'web', namespace: NS },
    spec: { imageRepositoryRef: { name: 'web' }, policy: { semver: { range: '1.x' } } },
  });
  await client.create<ImagePolicy>({
    ...POLICY,
    kind: 'ImagePolicy',
    metadata: { name: 'web-main', namespace: NS },
    spec: {
      imageRepositoryRef: { name: 'web' },
      policy: { numerical: { order: 'asc' } },
      filterTags: { pattern: '^main-[a-f0-9]+-(?P<ts>\\d+)$', extract: '$ts' },
    },
  });
  await client.create(deployment('web-old', `${image}:1.1.0`));
  await client.create(deployment('web-new', `${image}:1.2.0`));
}, 180_000);

afterAll(async () => {
  await fluxdeck.stop();
  client.close();
  await registry.stop();
  await rm(work, { recursive: true, force: true });
});

describe('the image views', () => {
  it('shows an ImagePolicy’s scanned tags, those its filter passed, and the one it selected', async () => {
    await waitForReady<ImagePolicy>(client, POLICY, NS, 'web-main', (c) => c.status === 'True');
    const key = { cluster: cluster.name, kind: 'ImagePolicy' as const, namespace: NS, name: 'web-main' };
    const view = await fluxdeck.workbench.images.policy(key, AbortSignal.timeout(30_000));
    expect(view.image).toBe(`${registry.host}/apps/web`);
    expect(view.policy).toEqual({ kind: 'numerical', detail: 'asc' });
    expect(view.filter).toEqual({ pattern: '^main-[a-f0-9]+-(?P<ts>\\d+)$', extract: '$ts' });
    expect(view.tags.map((t) => t.tag).sort()).toEqual([...TAGS].sort());
    expect(view.passed).toBe(2);
    expect(view.tags.find((t) => t.tag === 'main-def-1700000900')).toEqual({
      tag: 'main-def-1700000900',
      passed: true,
      extracted: '1700000900',
    });
    expect(view.tags.find((t) => t.tag === 'latest')?.passed).toBe(false);
    expect(view.selected).toBe('main-def-1700000900');
    expect(view.latest?.tag).toBe('main-def-1700000900');
    expect(view.problem).toBeUndefined();
  });

  it('joins the Deployments’ images with what the policy wants, marking the one that differs', async () => {
    await waitForReady<ImagePolicy>(client, POLICY, NS, 'web', (c) => c.status === 'True');
    // The views watch workloads once something shows them (the api layer's snapshot).
    fluxdeck.workbench.snapshot();
    const image = await eventually('both Deployments and both policies in the fleet view', () => {
      const found = fluxdeck.workbench.images.fleet().find((i) => i.image === `${registry.host}/apps/web`);
      return Promise.resolve(found && found.runs.length === 2 && found.wants.length === 2 ? found : undefined);
    });
    expect(image.wants.map((w) => [w.policy, w.tag])).toEqual([
      ['web', '1.2.0'],
      ['web-main', 'main-def-1700000900'],
    ]);
    expect(image.runs.map((r) => [r.workload, r.tag, r.differs])).toEqual([
      ['web-new', '1.2.0', false],
      ['web-old', '1.1.0', true],
    ]);
    expect(image.differs).toBe(true);
  });

  it('says the repository does not exist rather than failing, for a policy whose repository is missing', async () => {
    await client.create<ImagePolicy>({
      ...POLICY,
      kind: 'ImagePolicy',
      metadata: { name: 'orphan', namespace: NS },
      spec: { imageRepositoryRef: { name: 'nope' }, policy: { semver: { range: '*' } } },
    });
    const key = { cluster: cluster.name, kind: 'ImagePolicy' as const, namespace: NS, name: 'orphan' };
    const view = await fluxdeck.workbench.images.policy(key, AbortSignal.timeout(30_000));
    expect(view.problem).toBe(`ImageRepository ${NS}/nope does not exist`);
    expect(view.tags).toEqual([]);
  });
});
