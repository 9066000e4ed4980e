// main/sources/bucket against a real S3 server (gofakes3 behind a SigV4 check by the AWS SDK's own signer): listing
// with pagination, Flux's revision, incremental downloads, and each failure with its reason.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ArtifactStore } from '../../../main/sources/artifacts/artifact-store.ts';
import { openArtifact } from '../../../main/sources/artifacts/open-artifact.ts';
import { indexRevision } from '../../../main/sources/bucket/bucket-index.ts';
import { type BucketLocation, BucketSource } from '../../../main/sources/bucket/bucket-source.ts';
import { freePort } from '../../support/ports.ts';
import { countingProxy, putObject, type S3Server, startS3 } from '../../support/s3.ts';

const KEYS = { accessKey: 'fluxdeck-test', secretKey: 'not-a-real-secret-0123456789' };
const BUCKET = 'manifests';

let s3: S3Server;
let work: string;
let store: ArtifactStore;

const location = (over: Partial<BucketLocation> = {}): BucketLocation => ({
  endpoint: s3.host,
  secure: false,
  bucket: BUCKET,
  region: 'us-east-1',
  addressing: 'path',
  keys: KEYS,
  ...over,
});

const source = (name: string, maxObjectBytes?: number): BucketSource =>
  new BucketSource({ cacheDir: join(work, 'cache', name), store, ...(maxObjectBytes && { maxObjectBytes }) });

const owner = (name: string): { kind: string; namespace: string; name: string } => ({
  kind: 'Bucket',
  namespace: 'default',
  name,
});

beforeAll(async () => {
  s3 = await startS3({ bucket: BUCKET, keys: KEYS });
  work = await mkdtemp(join(tmpdir(), 'fluxdeck-bucket-'));
  store = new ArtifactStore({ root: join(work, 'artifacts') });
  await putObject(s3, KEYS, BUCKET, 'app/cm.yaml', 'kind: ConfigMap\n');
  await putObject(s3, KEYS, BUCKET, 'app/README.md', '# notes\n');
  await putObject(s3, KEYS, BUCKET, '.sourceignore', '*.md\n');
  await putObject(s3, KEYS, BUCKET, 'other/x.yaml', 'x: 1\n');
});

afterAll(async () => {
  await s3.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('BucketSource', () => {
  it('indexes the bucket with the .sourceignore object and the prefix, and stores the objects as the artifact', async () => {
    const src = source('basic');
    const listing = await src.index(location(), { prefix: 'app/' });
    expect([...listing.objects.keys()]).toEqual(['app/cm.yaml']);
    expect(listing.revision).toBe(indexRevision(listing.objects));
    const stored = await src.storeArtifact(owner('basic'), location(), listing);
    expect(stored.artifact.revision).toBe(listing.revision);
    expect(stored.artifact.path).toBe(`bucket/default/basic/${listing.revision.slice('sha256:'.length)}.tar.gz`);
    const files = (await openArtifact(store, stored.artifact)).files;
    expect([...files.keys()]).toEqual(['app/cm.yaml']);
    expect(Buffer.from(files.get('app/cm.yaml') ?? []).toString()).toBe('kind: ConfigMap\n');
  });

  it('follows continuation tokens past the first page and downloads only what changed on the next fetch', async () => {
    const bucket = 'paged';
    const paged = await startS3({ bucket, keys: KEYS });
    try {
      for (let i = 0; i < 1100; i += 50)
        await Promise.all(
          Array.from({ length: 50 }, (_, j) =>
            putObject(paged, KEYS, bucket, `o/${String(i + j).padStart(4, '0')}`, `v${i + j}`),
          ),
        );
      const proxy = await countingProxy(paged);
      try {
        const loc = location({ endpoint: proxy.host, bucket });
        const src = source('paged');
        const first = await src.index(loc, {});
        expect(first.objects.size).toBe(1100);
        expect(proxy.requests.filter((r) => r.includes('list-type=2')).length).toBeGreaterThan(1);
        const stored = await src.storeArtifact(owner('paged'), loc, first);
        expect(stored).toMatchObject({ downloaded: 1100, reused: 0 });

        await putObject(paged, KEYS, bucket, 'o/0007', 'changed');
        proxy.requests.length = 0;
        const second = await src.index(loc, {});
        expect(second.revision).not.toBe(first.revision);
        const again = await src.storeArtifact(owner('paged'), loc, second);
        expect(again).toMatchObject({ downloaded: 1, reused: 1099 });
        expect(proxy.requests.filter((r) => r.startsWith('GET /paged/o/'))).toEqual(['GET /paged/o/0007']);
        const files = (await openArtifact(store, again.artifact)).files;
        expect(files.size).toBe(1100);
        expect(Buffer.from(files.get('o/0007') ?? []).toString()).toBe('changed');
      } finally {
        await proxy.stop();
      }
    } finally {
      await paged.stop();
    }
  });

  it('says AuthenticationFailed for a wrong secret key and for an unknown access key', async () => {
    const src = source('auth');
    await expect(src.index(location({ keys: { ...KEYS, secretKey: 'wrong' } }), {})).rejects.toMatchObject({
      reason: 'AuthenticationFailed',
    });
    await expect(src.index(location({ keys: { ...KEYS, accessKey: 'nobody' } }), {})).rejects.toMatchObject({
      reason: 'AuthenticationFailed',
    });
  });

  it('says BucketOperationFailed naming a bucket that does not exist', async () => {
    await expect(source('missing').index(location({ bucket: 'nope' }), {})).rejects.toMatchObject({
      reason: 'BucketOperationFailed',
      message: expect.stringContaining("bucket 'nope' not found"),
    });
  });

  it('says BucketOperationFailed for an endpoint nobody listens on', async () => {
    const port = await freePort();
    await expect(source('down').index(location({ endpoint: `127.0.0.1:${port}` }), {})).rejects.toMatchObject({
      reason: 'BucketOperationFailed',
      message: expect.stringContaining('ECONNREFUSED'),
    });
  });

  it('refuses an object over the size limit, naming it and the limit', async () => {
    await putObject(s3, KEYS, BUCKET, 'big/blob.bin', Buffer.alloc(4096, 1));
    const src = source('big', 1024);
    const listing = await src.index(location(), { prefix: 'big/' });
    await expect(src.storeArtifact(owner('big'), location(), listing)).rejects.toMatchObject({
      reason: 'BucketOperationFailed',
      message: expect.stringMatching(/big\/blob\.bin.*4096 bytes, over the limit of 1024 bytes/),
    });
  });

  it('stops at the timeout with a message that says so', async () => {
    const signal = AbortSignal.timeout(0);
    await new Promise((r) => setTimeout(r, 5));
    await expect(source('timeout').index(location(), {}, signal)).rejects.toMatchObject({
      reason: 'BucketOperationFailed',
      message: expect.stringContaining('timed out'),
    });
  });
});
