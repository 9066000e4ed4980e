// `npm run bench -- bucket [objects] [changed]`: a bucket of generated objects (default 5,000, 2–8 KB each) in
// gofakes3 behind the SigV4 check (test/support/s3.ts), on 127.0.0.1. Both sides sign every request.
//   (a) first fetch + artifact: Fluxdeck's BucketSource (index, download, tar.gz) vs curl (--aws-sigv4, ListObjectsV2
//       pages, then `curl --parallel --parallel-max 16` of every object, then `tar czf`);
//   (b) after `changed` objects changed (default 10): Fluxdeck (same object cache) vs curl downloading everything
//       again (a plain client has no cache), and vs curl fetching only the changed keys it is told (an ideal sync).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { ArtifactStore } from '../main/sources/artifacts/artifact-store.ts';
import { type BucketLocation, BucketSource } from '../main/sources/bucket/bucket-source.ts';
import { parseListPage } from '../main/sources/bucket/s3-xml.ts';
import { putObject, type S3Server, startS3 } from '../test/support/s3.ts';
import { benchLine, median } from './report.ts';

const exec = promisify(execFile);
const [objectsArg, changedArg] = process.argv.slice(2);
const OBJECTS = Number(objectsArg ?? 5000);
const CHANGED = Number(changedArg ?? 10);
const RUNS = 3;
const KEYS = { accessKey: 'bench-access-key', secretKey: 'bench-secret-key-0123456789' };
const BUCKET = 'bench';
const PARALLEL = 16;

const keyOf = (i: number): string => `dir${String(i % 50).padStart(2, '0')}/sub${i % 7}/object-${i}.yaml`;
const content = (i: number, v: number): string => {
  const len = 2000 + ((i * 7919) % 6000);
  return `# object ${i} version ${v}\n${randomBytes(Math.ceil(len * 0.75)).toString('base64')}\n`;
};

async function seed(s3: S3Server): Promise<void> {
  for (let i = 0; i < OBJECTS; i += 64) {
    const batch = Array.from({ length: Math.min(64, OBJECTS - i) }, (_, j) => i + j);
    await Promise.all(batch.map((n) => putObject(s3, KEYS, BUCKET, keyOf(n), content(n, 0))));
  }
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

const curlAuth = ['--aws-sigv4', 'aws:amz:us-east-1:s3', '--user', `${KEYS.accessKey}:${KEYS.secretKey}`];

/** The reference client's listing: ListObjectsV2 pages fetched with curl. */
async function curlList(s3: S3Server): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    // Parameters in sorted order: curl 7.88 signs the query as written instead of sorting it (fixed in later curls).
    const q = `${token ? `continuation-token=${encodeURIComponent(token)}&` : ''}list-type=2`;
    const { stdout } = await exec('curl', ['-sf', ...curlAuth, `http://${s3.host}/${BUCKET}?${q}`], {
      maxBuffer: 64 << 20,
    });
    const page = parseListPage(stdout);
    keys.push(...page.objects.map((o) => o.key));
    token = page.nextToken;
  } while (token);
  return keys;
}

/** curl downloads `keys` into `dir` (16 transfers in parallel), then tar czf. */
async function curlFetch(s3: S3Server, keys: string[], dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const config = keys.map((k) => `url = "http://${s3.host}/${BUCKET}/${k}"\noutput = "${join(dir, k)}"\n`).join('');
  const file = `${dir}.curlrc`;
  await writeFile(file, config);
  await exec('curl', [
    '-sf',
    '--parallel',
    '--parallel-max',
    String(PARALLEL),
    '--create-dirs',
    ...curlAuth,
    '-K',
    file,
  ]);
  await exec('tar', ['czf', `${dir}.tgz`, '-C', dir, '.']);
}

const work = await mkdtemp(join(tmpdir(), 'fluxdeck-bench-bucket-'));
const s3 = await startS3({ bucket: BUCKET, keys: KEYS });
try {
  const tSeed = await timed(() => seed(s3));
  console.log(`bucket: ${OBJECTS} objects (2–8 KB each) seeded in ${(tSeed.ms / 1000).toFixed(1)} s`);
  const location: BucketLocation = {
    endpoint: s3.host,
    secure: false,
    bucket: BUCKET,
    region: 'us-east-1',
    addressing: 'path',
    keys: KEYS,
  };
  const owner = { kind: 'Bucket', namespace: 'bench', name: 'bench' };

  const ours: number[] = [];
  const theirs: number[] = [];
  let source: BucketSource | undefined;
  for (let run = 0; run < RUNS; run++) {
    const dir = join(work, `ours-${run}`);
    source = new BucketSource({
      cacheDir: join(dir, 'cache'),
      store: new ArtifactStore({ root: join(dir, 'artifacts') }),
      concurrency: PARALLEL,
    });
    const src = source;
    const m = await timed(async () => src.storeArtifact(owner, location, await src.index(location, {})));
    ours.push(m.ms);
    if (run === 0) console.log(`  ours: ${m.value.downloaded} downloaded, artifact ${m.value.artifact.size} bytes`);
    const c = await timed(async () => curlFetch(s3, await curlList(s3), join(work, `curl-${run}`)));
    theirs.push(c.ms);
  }
  const oursFirst = median(ours);
  const curlFirst = median(theirs);
  console.log(
    `(a) first fetch + artifact: fluxdeck ${oursFirst.toFixed(0)} ms, curl list + parallel get + tar czf ${curlFirst.toFixed(0)} ms, ratio ${(oursFirst / curlFirst).toFixed(2)}`,
  );

  const changed = Array.from({ length: CHANGED }, (_, k) => (k * 977 + 13) % OBJECTS);
  await Promise.all(changed.map((i) => putObject(s3, KEYS, BUCKET, keyOf(i), content(i, 1))));
  const src = source!;
  const inc = await timed(async () => src.storeArtifact(owner, location, await src.index(location, {})));
  const full = await timed(async () => curlFetch(s3, await curlList(s3), join(work, 'curl-full')));
  const sync = await timed(async () => {
    await curlList(s3);
    await curlFetch(s3, changed.map(keyOf), join(work, `curl-${RUNS - 1}`));
  });
  console.log(
    `(b) after ${CHANGED} objects changed: fluxdeck ${inc.ms.toFixed(0)} ms (${inc.value.downloaded} downloaded, ${inc.value.reused} from cache), curl full refetch ${full.ms.toFixed(0)} ms (ratio ${(inc.ms / full.ms).toFixed(2)}), curl list + only the changed keys + tar czf ${sync.ms.toFixed(0)} ms (ratio ${(inc.ms / sync.ms).toFixed(2)})`,
  );
  console.log(
    benchLine(
      'bucket',
      `first fetch + artifact (${OBJECTS} objects)`,
      { value: oursFirst, unit: 'ms' },
      { name: 'curl --aws-sigv4 list + parallel get + tar czf', value: curlFirst, unit: 'ms' },
    ),
  );
} finally {
  await s3.stop();
  await rm(work, { recursive: true, force: true });
}
