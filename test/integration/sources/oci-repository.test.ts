// OCIRepository end to end with real parts: artifacts pushed by the flux CLI (`flux push artifact`) to the real
// distribution registry, pulled by Fluxdeck's OCIRepository controller and applied by a Kustomization.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { createFluxdeck, type Fluxdeck } from '../../../main/create-fluxdeck.ts';
import { fluxKinds } from '../../../main/flux/kinds.ts';
import type { OCIRepository } from '../../../main/flux/source.ts';
import type { ClusterClient } from '../../../main/kube/cluster-client.ts';
import { openArtifact } from '../../../main/sources/artifacts/open-artifact.ts';
import type { KubeObject } from '../../../main/util/kube-object.ts';
import { cosignKeyPair, signLikeCosign } from '../../support/cosign-signature.ts';
import { clientFor, ensureNamespace, installCrds, kustomization, waitForReady } from '../../support/flux-fixture.ts';
import { type RegistryServer, startRegistry } from '../../support/registry.ts';
import { ensureTool } from '../../tools/tools.ts';

const run = promisify(execFile);
const cluster = inject('cluster');
const NS = 'oci';
const OCI = { apiVersion: fluxKinds.OCIRepository.apiVersion, kind: 'OCIRepository' };
const KS = { apiVersion: fluxKinds.Kustomization.apiVersion, kind: 'Kustomization' };

let registry: RegistryServer;
let client: ClusterClient;
let fluxdeck: Fluxdeck;
let work: string;
let flux: string;

/** `flux push artifact` of a directory holding one ConfigMap; returns the pushed digest. */
async function push(tag: string, value: string, extra: Record<string, string> = {}): Promise<string> {
  const dir = join(work, `src-${tag}`);
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, 'cm.yaml'),
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-oci\n  namespace: ${NS}\ndata:\n  value: "${value}"\n`,
  );
  for (const [name, content] of Object.entries(extra)) await writeFile(join(dir, name), content);
  const { stdout } = await run(flux, [
    'push',
    'artifact',
    `oci://${registry.host}/manifests/app:${tag}`,
    `--path=${dir}`,
    '--source=https://example.com/app.git',
    `--revision=${tag}@sha1:${'a'.repeat(40)}`,
    '--insecure-registry',
    '--output=json',
  ]);
  return (JSON.parse(stdout) as { digest: string }).digest;
}

function ociRepository(name: string, spec: Partial<OCIRepository['spec']>): OCIRepository {
  return {
    apiVersion: OCI.apiVersion,
    kind: 'OCIRepository',
    metadata: { name, namespace: NS },
    spec: { url: `oci://${registry.host}/manifests/app`, interval: '10m', insecure: true, ...spec },
  };
}

beforeAll(async () => {
  [registry, flux] = await Promise.all([startRegistry(), ensureTool('flux')]);
  work = await mkdtemp(join(tmpdir(), 'fluxdeck-oci-'));
  client = await clientFor(cluster.kubeconfig);
  await installCrds(client);
  await ensureNamespace(client, NS);
  fluxdeck = await createFluxdeck({
    kubeconfigPaths: [cluster.kubeconfig],
    dataDir: join(work, 'data'),
    watchKubeconfigs: false,
    identity: 'oci',
  });
  await fluxdeck.connect(cluster.name);
});

afterAll(async () => {
  await fluxdeck.stop();
  client.close();
  await registry.stop();
  await rm(work, { recursive: true, force: true });
});

describe('OCIRepository', () => {
  it('pulls what the flux CLI pushed, by semver, and a Kustomization applies it', async () => {
    await push('1.0.0', 'one');
    const digest = await push('1.1.0', 'eleven');
    await push('2.0.0', 'two');
    await client.create(ociRepository('app', { ref: { semver: '1.x' } }));
    const repo = await waitForReady<OCIRepository>(client, OCI, NS, 'app', (c) => c.status === 'True');
    expect(repo.status?.artifact?.revision).toBe(`1.1.0@${digest}`);
    await client.create(
      kustomization(NS, 'app', 'app', { sourceRef: { kind: 'OCIRepository', name: 'app' }, targetNamespace: NS }),
    );
    await waitForReady(client, KS, NS, 'app', (c) => c.status === 'True');
    const cm = await client.tryGet<KubeObject & { data?: Record<string, string> }>({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: NS,
      name: 'from-oci',
    });
    expect(cm?.data?.value).toBe('eleven');
  });

  it('applies the ignore rules while extracting, and copies a layer as it is when asked', async () => {
    const digest = await push('3.0.0', 'three', { 'notes.md': '# not a manifest' });
    await client.create(ociRepository('ignored', { ref: { tag: '3.0.0' }, ignore: '*.md' }));
    const repo = await waitForReady<OCIRepository>(client, OCI, NS, 'ignored', (c) => c.status === 'True');
    expect(repo.status?.artifact?.revision).toBe(`3.0.0@${digest}`);
    expect(repo.status?.observedIgnore).toBe('*.md');
    const { files } = await openArtifact(fluxdeck.store, repo.status!.artifact!);
    expect([...files.keys()]).toEqual(['cm.yaml']);
    await client.create(ociRepository('copied', { ref: { tag: '3.0.0' }, layerSelector: { operation: 'copy' } }));
    const copied = await waitForReady<OCIRepository>(client, OCI, NS, 'copied', (c) => c.status === 'True');
    expect(copied.status?.artifact?.path).toMatch(/\.tgz$/);
    expect(copied.status?.observedLayerSelector).toEqual({ operation: 'copy' });
  });

  it('says why when the tag does not exist or nothing matches, without a stored artifact', async () => {
    await client.create(ociRepository('missing', { ref: { tag: '9.9.9' } }));
    const missing = await waitForReady<OCIRepository>(client, OCI, NS, 'missing', (c) => c.status === 'False');
    const ready = missing.status?.conditions?.find((c) => c.type === 'Ready');
    expect(ready?.reason).toBe('OCIArtifactPullFailed');
    expect(ready?.message).toMatch(/9\.9\.9/);
    expect(missing.status?.artifact).toBeUndefined();
    await client.create(ociRepository('nomatch', { ref: { semver: '>=5.0.0' } }));
    const nomatch = await waitForReady<OCIRepository>(client, OCI, NS, 'nomatch', (c) => c.status === 'False');
    expect(nomatch.status?.conditions?.find((c) => c.type === 'Ready')?.message).toMatch(
      /no tag of .* matches semver '>=5.0.0'/,
    );
  });

  it('uses an artifact only when a cosign signature verifies with a key of spec.verify.secretRef', async () => {
    const { publicPem, privateKey } = cosignKeyPair();
    const signed = await push('4.0.0', 'four');
    await signLikeCosign(registry.host, 'manifests/app', signed, privateKey);
    await client.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'cosign-pub', namespace: NS },
      data: { 'cosign.pub': Buffer.from(publicPem).toString('base64') },
    });
    const verify = { provider: 'cosign' as const, secretRef: { name: 'cosign-pub' } };
    await client.create(ociRepository('signed', { ref: { tag: '4.0.0' }, verify }));
    const repo = await waitForReady<OCIRepository>(client, OCI, NS, 'signed', (c) => c.status === 'True');
    expect(repo.status?.artifact?.revision).toBe(`4.0.0@${signed}`);
    expect(repo.status?.conditions?.find((c) => c.type === 'SourceVerified')).toMatchObject({
      status: 'True',
      reason: 'Succeeded',
      message: `verified signature of revision 4.0.0@${signed}`,
    });

    // The tag moves to content nobody signed: refused, and the verified artifact stays.
    const unsigned = await push('4.0.0', 'tampered');
    await client.patch(
      { ...OCI, namespace: NS, name: 'signed' },
      { metadata: { annotations: { 'reconcile.fluxcd.io/requestedAt': 'moved' } } },
      'merge',
    );
    const refused = await waitForReady<OCIRepository>(client, OCI, NS, 'signed', (c) => c.status === 'False');
    expect(refused.status?.conditions?.find((c) => c.type === 'SourceVerified')).toMatchObject({
      status: 'False',
      reason: 'VerificationError',
    });
    expect(refused.status?.conditions?.find((c) => c.type === 'Ready')?.message).toContain(
      `no matching signatures were found for '${registry.host}/manifests/app@${unsigned}'`,
    );
    expect(refused.status?.artifact?.revision).toBe(`4.0.0@${signed}`);
  });
});
