// `npm run bench -- images [TAGS] [FILES] [MARKERS]`: image automation against real parts, in one run.
// 1. Scan and select: a repository with 5,000 tags (defaults; semver, pre-release, timestamped and junk tags) on the
//    real distribution registry. Fluxdeck: the ImageRepository reconcile (paginated tag list, exclusion list, tags
//    stored in the data directory) plus the ImagePolicy selection (semver range). Reference: `crane ls` plus a semver
//    sort of the same list with the npm `semver` package. Median of 3.
// 2. Update: a Git repository of 2,000 files, 50 of them with a marker, served by the git server fixture over HTTP.
//    Fluxdeck: one automation run (fetch, setters, commit, push) in the clone it keeps. Reference: the same edit with
//    the git CLI in a kept clone (fetch, reset, the same text replacement, add, commit, push). Median of 3, each with
//    a new tag so each run commits; the first run of each side (with the clone) is printed apart.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import semver from 'semver';

import { compileTagSelector } from '../main/controllers/imagepolicy/select-tag.ts';
import { reconcileImageRepository } from '../main/controllers/imagerepository/reconcile.ts';
import { listTags } from '../main/controllers/imagerepository/scan.ts';
import { TagStore } from '../main/controllers/imagerepository/tag-store.ts';
import { runGitUpdate } from '../main/controllers/imageupdateautomation/git-update.ts';
import type { ImageRepository } from '../main/flux/image.ts';
import { commitFiles, startGitServer } from '../test/support/git-server.ts';
import { pushImageTags } from '../test/support/image-tags.ts';
import { startRegistry } from '../test/support/registry.ts';
import { ensureTool } from '../test/tools/tools.ts';
import { benchLine, median } from './report.ts';

const exec = promisify(execFile);
const [TAGS = 5000, FILES = 2000, MARKERS = 50] = process.argv.slice(2).map(Number);
const RUNS = 3;
const RANGE = '>=1.0.0 <3.0.0';

function tagList(n: number): string[] {
  const tags: string[] = [];
  for (let i = 0; tags.length < n; i++) {
    const kind = i % 5;
    if (kind === 0) tags.push(`${Math.floor(i / 400)}.${Math.floor(i / 20) % 20}.${i % 20}`);
    else if (kind === 1) tags.push(`v${Math.floor(i / 400)}.${Math.floor(i / 20) % 20}.${i % 20}-rc.${i % 7}`);
    else if (kind === 2) tags.push(`main-${(i * 2654435761).toString(16).slice(-7)}-${1700000000 + i}`);
    else if (kind === 3) tags.push(`build-${i}`);
    else tags.push(`sha256-${i.toString(16).padStart(8, '0')}.sig`);
  }
  return tags;
}

async function scanAndSelect(host: string, dir: string): Promise<{ ms: number; tag: string }[]> {
  const repo: ImageRepository = {
    apiVersion: 'image.toolkit.fluxcd.io/v1',
    kind: 'ImageRepository',
    metadata: { name: 'app', namespace: 'bench', generation: 1, finalizers: ['finalizers.fluxcd.io'] },
    spec: { image: `${host}/bench/app`, interval: '10m', insecure: true },
  };
  const out: { ms: number; tag: string }[] = [];
  for (let i = 0; i < RUNS; i++) {
    const store = new TagStore(join(dir, `tags-${i}`));
    const key = { cluster: 'bench', namespace: 'bench', name: 'app' };
    const t0 = performance.now();
    await reconcileImageRepository(
      repo,
      {
        secret: () => Promise.resolve(undefined),
        listTags,
        readTags: () => store.read(key),
        writeTags: (_r, canonical, tags) => store.write(key, canonical, tags),
        removeTags: () => store.remove(key),
        writeStatus: () => Promise.resolve(),
        setFinalizer: () => Promise.resolve(),
        event: () => undefined,
        now: () => new Date(),
      },
      new AbortController().signal,
    );
    const stored = await store.read(key);
    const picked = compileTagSelector({ semver: { range: RANGE } }).select(stored?.tags ?? []);
    out.push({ ms: performance.now() - t0, tag: picked.tag });
  }
  return out;
}

async function craneAndSort(crane: string, host: string): Promise<{ ms: number; tag: string }[]> {
  const out: { ms: number; tag: string }[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const { stdout } = await exec(crane, ['ls', `${host}/bench/app`, '--insecure'], { maxBuffer: 64 << 20 });
    const valid = stdout
      .split('\n')
      .filter((t) => t && !t.endsWith('.sig') && semver.valid(t) && semver.satisfies(t, RANGE));
    const sorted = semver.rsort(valid);
    out.push({ ms: performance.now() - t0, tag: sorted[0] ?? '' });
  }
  return out;
}

const deployment = (i: number, tag: string): string =>
  [
    `# service ${i}`,
    'apiVersion: apps/v1',
    'kind: Deployment',
    `metadata: {name: svc-${i}, namespace: apps}`,
    'spec:',
    '  template:',
    '    spec:',
    '      containers:',
    `        - name: svc-${i}`,
    `          image: registry.example.com/team/app:${tag} # {"$imagepolicy": "flux-system:app"}`,
    '',
  ].join('\n');

/** The same edit with the git CLI in a kept clone: fetch, reset to the server's head, edit, add, commit, push. */
async function gitCliRun(work: string, tag: string): Promise<void> {
  const git = (...args: string[]): Promise<unknown> =>
    exec('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.com', '-C', work, ...args]);
  await git('fetch', '--quiet', '--depth=1', 'origin', 'main');
  await git('reset', '--quiet', '--hard', 'FETCH_HEAD');
  for (let i = 0; i < MARKERS; i++) {
    const path = join(work, `apps/d${Math.floor(i / 100)}/f${i}.yaml`);
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.replace(/app:[^ ]+ #/, `app:${tag} #`));
  }
  await git('add', '--all');
  await git('commit', '--quiet', '-m', `update to ${tag}`);
  await git('push', '--quiet', 'origin', 'HEAD:main');
}

/**
 * Both sides keep their clone between runs, as the controller does (the first, cloning run of each is reported
 * apart); each measured run fetches the head the other side just pushed, edits 50 files, commits and pushes.
 */
async function updateRuns(
  dir: string,
): Promise<{ ours: number[]; theirs: number[]; coldOurs: number; coldTheirs: number }> {
  const server = await startGitServer();
  try {
    const url = await server.createRepo('fleet');
    const bare = server.repoPath('fleet');
    const files: Record<string, string> = {};
    for (let i = 0; i < FILES; i++) {
      files[`apps/d${Math.floor(i / 100)}/f${i}.yaml`] =
        i < MARKERS
          ? deployment(i, '1.0.0')
          : `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm-${i}}\ndata: {n: "${i}"}\n`;
    }
    await commitFiles(bare, files, { message: 'fleet' });
    const ours: number[] = [];
    const theirs: number[] = [];
    const clone = join(dir, 'automation-clone');
    const work = join(dir, 'cli-clone');
    const fluxdeckRun = async (tag: string): Promise<number> => {
      const t0 = performance.now();
      const result = await runGitUpdate({
        dir: clone,
        url,
        checkout: { branch: 'main' },
        pushBranch: 'main',
        policies: new Map([['flux-system:app', { name: 'registry.example.com/team/app', tag }]]),
        author: { name: 'bench', email: 'bench@example.com' },
        message: () => `update to ${tag}`,
      });
      if (result.status !== 'pushed' || result.run.edits.length !== MARKERS)
        throw new Error(`fluxdeck run to ${tag}: ${result.status}, ${result.run.edits.length} files`);
      return performance.now() - t0;
    };
    const coldOurs = await fluxdeckRun('1.0.1');
    let t0 = performance.now();
    await exec('git', ['clone', '--quiet', '--depth=1', '--branch=main', url, work]);
    await gitCliRun(work, '1.0.2');
    const coldTheirs = performance.now() - t0;
    for (let run = 0; run < RUNS; run++) {
      ours.push(await fluxdeckRun(`1.${run + 1}.0`));
      t0 = performance.now();
      await gitCliRun(work, `2.${run + 1}.0`);
      theirs.push(performance.now() - t0);
    }
    return { ours, theirs, coldOurs, coldTheirs };
  } finally {
    await server.close();
    await rm(server.root, { recursive: true, force: true });
  }
}

async function scanBench(host: string, crane: string, dir: string): Promise<void> {
  const tags = tagList(TAGS);
  const t0 = performance.now();
  await pushImageTags(host, 'bench/app', tags);
  console.log(`pushed ${tags.length} tags in ${((performance.now() - t0) / 1000).toFixed(1)}s`);
  const ours = await scanAndSelect(host, dir);
  const theirs = await craneAndSort(crane, host);
  const a = ours[0]?.tag;
  const b = theirs[0]?.tag;
  if (a !== b) throw new Error(`the selections differ: fluxdeck ${a ?? ''}, crane+semver ${b ?? ''}`);
  console.log(`both selected ${a ?? ''} for '${RANGE}'`);
  console.log(
    benchLine(
      'images',
      `scan ${TAGS} tags + semver select`,
      { value: median(ours.map((o) => o.ms)), unit: 'ms' },
      { name: 'crane ls + semver sort', value: median(theirs.map((o) => o.ms)), unit: 'ms' },
    ),
  );
}

async function main(): Promise<void> {
  const [registry, crane] = await Promise.all([startRegistry(), ensureTool('crane')]);
  const dir = await mkdtemp(join(tmpdir(), 'fluxdeck-bench-images-'));
  try {
    await mkdir(dir, { recursive: true });
    // `npm run bench -- images 0` skips the scan (pushing 5,000 tags takes minutes) and measures the update only.
    if (TAGS > 0) await scanBench(registry.host, crane, dir);
    const t0 = performance.now();
    const update = await updateRuns(dir);
    console.log(
      `update runs took ${((performance.now() - t0) / 1000).toFixed(1)}s in all; first run with the clone: fluxdeck ${update.coldOurs.toFixed(0)}ms, git CLI ${update.coldTheirs.toFixed(0)}ms`,
    );
    console.log(
      benchLine(
        'images',
        `update ${MARKERS} markers in ${FILES} files, commit and push`,
        { value: median(update.ours), unit: 'ms' },
        { name: 'git CLI fetch+edit+commit+push', value: median(update.theirs), unit: 'ms' },
      ),
    );
  } finally {
    await registry.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
