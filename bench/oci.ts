// `npm run bench -- oci [FILES] [MB]`: an artifact of 5,000 files, 50 MB (defaults), pushed by `flux push artifact` to
// the real distribution registry, then pulled three ways in the same run:
// - Fluxdeck's OCIRepository reconcile (the shared source reconcile with the controller's own resolve and pull
//   functions: manifest HEAD, manifest GET, digest-verified layer, extract with the ignore rules, archive into the
//   artifact store; only the Kubernetes status writes are left out), median of 3 into a fresh store;
// - `flux pull artifact` (pull + extract to a directory), median of 3;
// - a second reconcile with the artifact in place (digest unchanged): requests and bytes counted by a proxy in front of
//   the registry, to show a no-op costs one manifest HEAD and downloads nothing.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { pullOciArtifact, resolveOciArtifact } from '../main/controllers/ocirepository/pull.ts';
import { reconcileOCIRepository } from '../main/controllers/ocirepository/reconcile.ts';
import type { OCIRepository } from '../main/flux/source.ts';
import { ArtifactStore } from '../main/sources/artifacts/artifact-store.ts';
import { countingProxy } from '../test/support/counting-proxy.ts';
import { startRegistry } from '../test/support/registry.ts';
import { ensureTool } from '../test/tools/tools.ts';
import { benchLine, median } from './report.ts';

const exec = promisify(execFile);
const [FILES = 5000, MB = 50] = process.argv.slice(2).map(Number);
const RUNS = 3;

async function writeTree(dir: string): Promise<void> {
  const size = Math.floor((MB << 20) / FILES);
  for (let i = 0; i < FILES; i++) {
    const sub = join(dir, `d${Math.floor(i / 100)}`);
    if (i % 100 === 0) await mkdir(sub, { recursive: true });
    // Base64 of random bytes: text that gzip shrinks by a quarter, like real manifests with hashes in them.
    await writeFile(join(sub, `f${i}.yaml`), randomBytes(Math.floor((size * 3) / 4)).toString('base64'));
  }
}

/** One reconcile with the controller's own fetch and store; status kept in memory instead of written to a cluster. */
async function reconcile(repo: OCIRepository, store: ArtifactStore): Promise<OCIRepository> {
  const owner = { kind: 'OCIRepository', namespace: 'bench', name: 'app' };
  let status = repo.status;
  await reconcileOCIRepository(
    repo,
    {
      secret: () => Promise.resolve(undefined),
      artifactExists: (a) => store.exists(a),
      deleteArtifacts: () => store.removeAll(owner),
      writeStatus: (_o, s) => {
        status = s;
        return Promise.resolve();
      },
      setFinalizer: () => Promise.resolve(),
      event: () => undefined,
      now: () => new Date(),
      resolve: (r, auth, signal) => resolveOciArtifact(r, auth, signal),
      verifyCosign: () => Promise.reject(new Error('the benchmark artifact asks for no verification')),
      storeArtifact: (r, resolved, inputs, signal) =>
        pullOciArtifact(store, { repo: r, owner, resolved, inputs, secret: undefined, signal }),
    },
    new AbortController().signal,
  );
  return { ...repo, status };
}

async function main(): Promise<void> {
  const [registry, flux] = await Promise.all([startRegistry(), ensureTool('flux')]);
  const dir = await mkdtemp(join(tmpdir(), 'fluxdeck-bench-oci-'));
  const proxy = await countingProxy(registry);
  try {
    await writeTree(join(dir, 'src'));
    const url = `oci://${registry.host}/bench/app:v1`;
    await exec(flux, [
      'push',
      'artifact',
      url,
      `--path=${join(dir, 'src')}`,
      '--source=bench',
      '--revision=v1@sha1:' + '0'.repeat(40),
      '--insecure-registry',
    ]);
    const repo = (host: string): OCIRepository => ({
      apiVersion: 'source.toolkit.fluxcd.io/v1',
      kind: 'OCIRepository',
      metadata: { name: 'app', namespace: 'bench', generation: 1, finalizers: ['finalizers.fluxcd.io'] },
      spec: { url: `oci://${host}/bench/app`, ref: { tag: 'v1' }, interval: '10m', insecure: true },
    });
    const ours: number[] = [];
    const theirs: number[] = [];
    let last: OCIRepository | undefined;
    for (let i = 0; i < RUNS; i++) {
      const store = new ArtifactStore({ root: join(dir, `store-${i}`) });
      let t0 = performance.now();
      last = await reconcile(repo(registry.host), store);
      ours.push(performance.now() - t0);
      const out = join(dir, `flux-${i}`);
      await mkdir(out);
      t0 = performance.now();
      await exec(flux, ['pull', 'artifact', url, `--output=${out}`, '--insecure-registry']);
      theirs.push(performance.now() - t0);
    }
    const artifact = last?.status?.artifact;
    if (!artifact) throw new Error(`the reconcile stored no artifact: ${JSON.stringify(last?.status?.conditions)}`);
    console.log(`artifact ${artifact.revision}, ${(artifact.size ?? 0) >> 20} MiB archived, ${FILES} files`);

    // No-op: the same object with its status, through the counting proxy, against the store holding its artifact.
    const store = new ArtifactStore({ root: join(dir, `store-${RUNS - 1}`) });
    const viaProxy: OCIRepository = { ...repo(proxy.host), ...(last?.status && { status: last.status }) };
    const t0 = performance.now();
    await reconcile(viaProxy, store);
    const noopMs = performance.now() - t0;
    console.log(
      `no-op reconcile: ${noopMs.toFixed(0)}ms, ${proxy.requests.length} request(s) [${proxy.requests.join(', ')}], ${proxy.bytes()} bytes downloaded`,
    );
    console.log(
      benchLine(
        'oci',
        `pull+extract+artifact of ${FILES} files/${MB} MB`,
        { value: median(ours), unit: 'ms' },
        { name: 'flux pull artifact', value: median(theirs), unit: 'ms' },
      ),
    );
  } finally {
    await proxy.stop();
    await registry.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
