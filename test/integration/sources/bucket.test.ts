// Bucket end to end with real parts: the control plane, Fluxdeck's Bucket controller, a real S3 server (gofakes3
// behind a SigV4 check by the AWS SDK's signer) with access keys, seen through a proxy that records what was
// downloaded, and a Kustomization applying from the Bucket's artifact.
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { runCli } from '../../../main/cli/run.ts';
import { requestReconcile } from '../../../main/controllers/requests/flux-requests.ts';
import { createFluxdeck, type Fluxdeck } from '../../../main/create-fluxdeck.ts';
import { fluxKinds } from '../../../main/flux/kinds.ts';
import { Annotation } from '../../../main/flux/meta.ts';
import type { Bucket } from '../../../main/flux/source.ts';
import type { ClusterClient } from '../../../main/kube/cluster-client.ts';
import { openArtifact } from '../../../main/sources/artifacts/open-artifact.ts';
import type { KubeObject } from '../../../main/util/kube-object.ts';
import {
  clientFor,
  ensureNamespace,
  eventually,
  installCrds,
  kustomization,
  waitForReady,
} from '../../support/flux-fixture.ts';
import { freePort } from '../../support/ports.ts';
import { type CountingProxy, countingProxy, putObject, s3Request, type S3Server, startS3 } from '../../support/s3.ts';
import { makeTestPki } from '../../support/tls.ts';

const cluster = inject('cluster');
const NS = 'bucket';
const KEYS = { accessKey: 'fluxdeck-it', secretKey: 'bucket-test-secret-key-0123' };
const NAME = 'manifests';
const BUCKET = { apiVersion: fluxKinds.Bucket.apiVersion, kind: 'Bucket' };
const KS = { apiVersion: fluxKinds.Kustomization.apiVersion, kind: 'Kustomization' };
const MAX_OBJECT_BYTES = 2048;

let s3: S3Server;
let proxy: CountingProxy;
let client: ClusterClient;
let fluxdeck: Fluxdeck;
let work: string;

const configMap = (value: string): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-bucket\n  namespace: ${NS}\ndata:\n  value: "${value}"\n`;

/** Flux's revision of objects written here, computed independently: gofakes3's ETag is the MD5 of the content. */
function expectedRevision(objects: Record<string, string>): string {
  const lines = Object.keys(objects)
    .sort()
    .map(
      (k) =>
        `${k} ${createHash('md5')
          .update(objects[k] ?? '')
          .digest('hex')}\n`,
    )
    .join('');
  return `sha256:${createHash('sha256').update(lines).digest('hex')}`;
}

function bucket(name: string, spec: Partial<Bucket['spec']> = {}): Bucket {
  return {
    apiVersion: BUCKET.apiVersion,
    kind: 'Bucket',
    metadata: { name, namespace: NS },
    spec: {
      bucketName: NAME,
      endpoint: proxy.host,
      insecure: true,
      interval: '10m',
      secretRef: { name: 's3-keys' },
      ...spec,
    },
  };
}

const readyCondition = (b: Bucket): { reason?: string; message?: string } | undefined =>
  b.status?.conditions?.find((c) => c.type === 'Ready');

async function secret(name: string, data: Record<string, string>): Promise<void> {
  const obj = { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: NS }, stringData: data };
  const existing = await client.tryGet({ apiVersion: 'v1', kind: 'Secret', namespace: NS, name });
  if (existing)
    await client.replace({ ...obj, metadata: { ...obj.metadata, resourceVersion: existing.metadata.resourceVersion } });
  else await client.create(obj);
}

const reconcile = (name: string): ReturnType<typeof requestReconcile> =>
  requestReconcile(client, { kind: fluxKinds.Bucket, namespace: NS, name }, { timeoutMs: 60_000 });

/** What was downloaded through the proxy: object GETs, without the listing and the .sourceignore probe. */
const objectGets = (): string[] =>
  proxy.requests.filter(
    (r) => r.startsWith(`GET /${NAME}/`) && !r.includes('list-type') && !r.endsWith('.sourceignore'),
  );

beforeAll(async () => {
  s3 = await startS3({ bucket: NAME, keys: KEYS });
  proxy = await countingProxy(s3);
  work = await mkdtemp(join(tmpdir(), 'fluxdeck-bucket-it-'));
  client = await clientFor(cluster.kubeconfig);
  await installCrds(client);
  await ensureNamespace(client, NS);
  await secret('s3-keys', { accesskey: KEYS.accessKey, secretkey: KEYS.secretKey });
  fluxdeck = await createFluxdeck({
    kubeconfigPaths: [cluster.kubeconfig],
    dataDir: join(work, 'data'),
    watchKubeconfigs: false,
    identity: 'bucket',
    bucketMaxObjectBytes: MAX_OBJECT_BYTES,
  });
  await fluxdeck.connect(cluster.name);
});

afterAll(async () => {
  await fluxdeck.stop();
  client.close();
  await proxy.stop();
  await s3.stop();
  await rm(work, { recursive: true, force: true });
});

describe('Bucket', () => {
  const objects: Record<string, string> = {
    'app/cm.yaml': configMap('one'),
    'app/kustomization.yaml': 'resources:\n- cm.yaml\n',
    'app/more/other.yaml': configMap('other').replace('from-bucket', 'other'),
  };

  it('is Ready with Flux revision of the object index, and a Kustomization applies from it', async () => {
    for (const [k, v] of Object.entries(objects)) await putObject(s3, KEYS, NAME, k, v);
    await client.create(bucket('app'));
    const b = await waitForReady<Bucket>(client, BUCKET, NS, 'app', (c) => c.status === 'True');
    expect(b.status?.artifact?.revision).toBe(expectedRevision(objects));
    expect(readyCondition(b)?.message).toBe(`stored artifact for revision '${expectedRevision(objects)}'`);
    const { files } = await openArtifact(fluxdeck.store, b.status!.artifact!);
    expect([...files.keys()].sort()).toEqual(Object.keys(objects).sort());

    await client.create(kustomization(NS, 'app', 'app', { sourceRef: { kind: 'Bucket', name: 'app' }, path: './app' }));
    await waitForReady(client, KS, NS, 'app', (c) => c.status === 'True');
    const cm = await client.tryGet<KubeObject & { data?: Record<string, string> }>({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: NS,
      name: 'from-bucket',
    });
    expect(cm?.data?.value).toBe('one');
  });

  it('a changed object gives a new revision, is the only object downloaded, and reaches the cluster', async () => {
    objects['app/cm.yaml'] = configMap('two');
    await putObject(s3, KEYS, NAME, 'app/cm.yaml', objects['app/cm.yaml']);
    proxy.requests.length = 0;
    const result = await reconcile('app');
    expect(result.ready).toBe(true);
    expect((result.object as Bucket).status?.artifact?.revision).toBe(expectedRevision(objects));
    expect(objectGets()).toEqual([`GET /${NAME}/app/cm.yaml`]);
    await waitForReady(client, KS, NS, 'app', (c, ks) => {
      const rev = (ks.status as { lastAppliedRevision?: string } | undefined)?.lastAppliedRevision;
      return c.status === 'True' && rev === expectedRevision(objects);
    });
    const cm = await client.get<KubeObject & { data?: Record<string, string> }>({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: NS,
      name: 'from-bucket',
    });
    expect(cm.data?.value).toBe('two');
  });

  it('fluxdeck get sources bucket and reconcile source bucket show and drive it', async () => {
    let out = '';
    const io = { out: (t: string) => (out += t), err: (t: string) => (out += t), signal: new AbortController().signal };
    const flags = ['-n', NS, '--kubeconfig', cluster.kubeconfig, '--context', cluster.name];
    expect(await runCli(['get', 'sources', 'bucket', 'app', ...flags], io)).toBe(0);
    expect(out).toMatch(new RegExp(`app\\s+${expectedRevision(objects)}\\s+false\\s+True`));
    out = '';
    expect(await runCli(['reconcile', 'source', 'bucket', 'app', ...flags], io)).toBe(0);
    expect(out).toContain(expectedRevision(objects));
  });

  it('wrong credentials: Ready=False AuthenticationFailed, and the last artifact stays', async () => {
    const before = (await client.get<Bucket>({ ...BUCKET, namespace: NS, name: 'app' })).status?.artifact;
    await secret('s3-keys', { accesskey: KEYS.accessKey, secretkey: 'wrong-secret-key' });
    try {
      const result = await reconcile('app');
      expect(result.ready).toBe(false);
      const b = result.object as Bucket;
      expect(readyCondition(b)?.reason).toBe('AuthenticationFailed');
      expect(readyCondition(b)?.message).toMatch(/HTTP 403 Forbidden; check the accesskey and secretkey/);
      expect(readyCondition(b)?.message).not.toContain('wrong-secret-key');
      expect(b.status?.conditions?.find((c) => c.type === 'FetchFailed')?.status).toBe('True');
      expect(b.status?.artifact).toEqual(before);
      expect(await fluxdeck.store.exists(before!)).toBe(true);
    } finally {
      await secret('s3-keys', { accesskey: KEYS.accessKey, secretkey: KEYS.secretKey });
    }
    expect((await reconcile('app')).ready).toBe(true);
  });

  it('a bucket that does not exist and an endpoint nobody listens on: BucketOperationFailed saying which', async () => {
    await client.create(bucket('missing', { bucketName: 'no-such-bucket' }));
    const missing = await waitForReady<Bucket>(client, BUCKET, NS, 'missing', (c) => c.status === 'False');
    expect(readyCondition(missing)).toMatchObject({
      reason: 'BucketOperationFailed',
      message: expect.stringContaining("bucket 'no-such-bucket' not found"),
    });
    expect(missing.status?.artifact).toBeUndefined();

    await client.create(bucket('down', { endpoint: `127.0.0.1:${await freePort()}` }));
    const down = await waitForReady<Bucket>(client, BUCKET, NS, 'down', (c) => c.status === 'False');
    expect(readyCondition(down)).toMatchObject({
      reason: 'BucketOperationFailed',
      message: expect.stringContaining('ECONNREFUSED'),
    });
  });

  it('an object over the size limit fails the fetch naming the object and the limit', async () => {
    expect(await s3Request(s3, KEYS, { method: 'PUT', path: '/big' })).toBe(200);
    await putObject(s3, KEYS, 'big', 'blob.yaml', `# ${'x'.repeat(MAX_OBJECT_BYTES * 2)}\n`);
    await client.create(bucket('big', { bucketName: 'big' }));
    const big = await waitForReady<Bucket>(client, BUCKET, NS, 'big', (c) => c.status === 'False');
    expect(readyCondition(big)).toMatchObject({
      reason: 'BucketOperationFailed',
      message: expect.stringMatching(/blob\.yaml.*over the limit of 2048 bytes/),
    });
  });

  it('HTTPS: trusts the CA of certSecretRef, and without it says to add one', async () => {
    const pki = await makeTestPki(await mkdtemp(join(work, 'pki-')));
    const tls = await startS3({ bucket: 'secure', keys: KEYS, tls: pki });
    try {
      await secret('s3-ca', { 'ca.crt': pki.ca });
      const spec = { bucketName: 'secure', endpoint: tls.host, insecure: false };
      await client.create(bucket('tls', { ...spec, certSecretRef: { name: 's3-ca' } }));
      const ok = await waitForReady<Bucket>(client, BUCKET, NS, 'tls', (c) => c.status === 'True');
      expect(ok.status?.artifact?.revision).toBe(expectedRevision({}));
      await client.create(bucket('untrusted', spec));
      const bad = await waitForReady<Bucket>(client, BUCKET, NS, 'untrusted', (c) => c.status === 'False');
      expect(readyCondition(bad)).toMatchObject({
        reason: 'BucketOperationFailed',
        message: expect.stringContaining("add the server's CA as 'ca.crt'"),
      });
    } finally {
      await tls.stop();
    }
  });

  it('gcp and azure providers and aws without keys fail with a condition that says why', async () => {
    await client.create(bucket('gcs', { provider: 'gcp' }));
    const gcs = await waitForReady<Bucket>(client, BUCKET, NS, 'gcs', (c) => c.status === 'False');
    expect(readyCondition(gcs)).toMatchObject({
      reason: 'InvalidProviderConfiguration',
      message: expect.stringContaining("provider 'gcp' is not supported by Fluxdeck yet"),
    });
    const { secretRef: _none, ...noKeys } = bucket('aws').spec;
    await client.create({ ...bucket('aws'), spec: { ...noKeys, provider: 'aws' } });
    const aws = await waitForReady<Bucket>(client, BUCKET, NS, 'aws', (c) => c.status === 'False');
    expect(readyCondition(aws)).toMatchObject({
      reason: 'AuthenticationFailed',
      message: expect.stringContaining('IRSA'),
    });
  });

  it('a suspended Bucket is left alone until resumed', async () => {
    await client.patch({ ...BUCKET, namespace: NS, name: 'app' }, { spec: { suspend: true } }, 'merge');
    objects['app/cm.yaml'] = configMap('three');
    await putObject(s3, KEYS, NAME, 'app/cm.yaml', objects['app/cm.yaml']);
    const requestedAt = new Date().toISOString();
    await client.patch(
      { ...BUCKET, namespace: NS, name: 'app' },
      { metadata: { annotations: { [Annotation.ReconcileRequestedAt]: requestedAt } } },
      'merge',
    );
    // No event can say "nothing happened": give the controller time to (wrongly) act, then look.
    await sleep(3000);
    const suspended = await client.get<Bucket>({ ...BUCKET, namespace: NS, name: 'app' });
    expect(suspended.status?.artifact?.revision).not.toBe(expectedRevision(objects));
    await client.patch({ ...BUCKET, namespace: NS, name: 'app' }, { spec: { suspend: false } }, 'merge');
    const resumed = await waitForReady<Bucket>(
      client,
      BUCKET,
      NS,
      'app',
      (c, b) => c.status === 'True' && b.status?.artifact?.revision === expectedRevision(objects),
    );
    expect(resumed.status?.artifact?.revision).toBe(expectedRevision(objects));
  });

  it('deleting a Bucket removes its artifacts and its object cache, then the finalizer', async () => {
    const b = await client.get<Bucket>({ ...BUCKET, namespace: NS, name: 'app' });
    const artifact = b.status!.artifact!;
    const cacheDir = join(work, 'data', 'cache', 'bucket', 'bucket', NS, 'app');
    expect((await readdir(cacheDir)).length).toBe(Object.keys(objects).length);
    await client.delete({ ...BUCKET, namespace: NS, name: 'app' });
    await eventually('Bucket app to be gone', async () =>
      (await client.tryGet({ ...BUCKET, namespace: NS, name: 'app' })) ? undefined : true,
    );
    expect(await fluxdeck.store.exists(artifact)).toBe(false);
    await expect(readdir(cacheDir)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
