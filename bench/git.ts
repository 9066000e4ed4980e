// `npm run bench -- git [files] [commits]`: a generated repository (default 5,000 files, 300 commits, about 50 MB
// packed) on the local git server.
//   (a) first fetch + artifact: Fluxdeck's GitSource (worker thread) vs `git clone --depth 1` + `tar czf`;
//   (b) incremental fetch after one more commit: Fluxdeck vs `git fetch --depth 1` in the shallow clone.
// Prints the ratios and our process's peak RSS / heap (the git server runs in this process too; its share is the
// baseline printed first).
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { ArtifactStore } from '../main/sources/artifacts/artifact-store.ts';
import { GitSource } from '../main/sources/git-source.ts';
import { commitFiles, startGitServer } from '../test/support/git-server.ts';
import { benchLine, median } from './report.ts';

const exec = promisify(execFile);
const [filesArg, commitsArg] = process.argv.slice(2);
const FILES = Number(filesArg ?? 5000);
const COMMITS = Number(commitsArg ?? 300);
const PER_COMMIT = 30;
const RUNS = 3;
const INC_RUNS = 7;

/** Writes the history with `git fast-import`: random base64 text, so packs are realistic rather than tiny. */
async function generate(bare: string): Promise<void> {
  const p = spawn('git', ['-C', bare, 'fast-import', '--quiet'], { stdio: ['pipe', 'inherit', 'inherit'] });
  let mark = 0;
  const write = (s: string): boolean => p.stdin.write(s);
  const content = (i: number, v: number): string => {
    const len = 2000 + ((i * 7919) % 6000);
    const body = randomBytes(Math.ceil(len * 0.75))
      .toString('base64')
      .replace(/(.{76})/g, '$1\n');
    return `# file ${i} version ${v}\n${body}\n`;
  };
  const blob = (data: string): number => {
    mark++;
    write(`blob\nmark :${mark}\ndata ${Buffer.byteLength(data)}\n${data}\n`);
    return mark;
  };
  const pathOf = (i: number): string => `dir${String(i % 50).padStart(2, '0')}/sub${i % 7}/file-${i}.yaml`;
  const msg = (m: string): string => `data ${Buffer.byteLength(m)}\n${m}\n`;
  let t = 1_600_000_000;
  const first = Array.from({ length: FILES }, (_, i) => blob(content(i, 0)));
  write(`commit refs/heads/main\ncommitter Bench <bench@fluxdeck.local> ${t} +0000\n${msg('initial')}`);
  first.forEach((m, i) => write(`M 100644 :${m} ${pathOf(i)}\n`));
  write('\n');
  for (let c = 1; c < COMMITS; c++) {
    const changes: [number, number][] = [];
    for (let k = 0; k < PER_COMMIT; k++) {
      const i = (c * 131 + k * 977) % FILES;
      changes.push([i, blob(content(i, c))]);
    }
    t += 60;
    write(`commit refs/heads/main\ncommitter Bench <bench@fluxdeck.local> ${t} +0000\n${msg(`change ${c}`)}`);
    for (const [i, m] of changes) write(`M 100644 :${m} ${pathOf(i)}\n`);
    write('\n');
  }
  p.stdin.end();
  await new Promise((resolve) => p.on('close', resolve));
  await exec('git', ['-C', bare, 'gc', '--quiet']);
}

/** Samples RSS and heap while `fn` runs. */
async function peak<T>(fn: () => Promise<T>): Promise<{ value: T; rss: number; heap: number }> {
  let rss = 0;
  let heap = 0;
  const sample = (): void => {
    const m = process.memoryUsage();
    rss = Math.max(rss, m.rss);
    heap = Math.max(heap, m.heapUsed);
  };
  const timer = setInterval(sample, 5);
  try {
    const value = await fn();
    sample();
    return { value, rss, heap };
  } finally {
    clearInterval(timer);
  }
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(0)} MB`;

const work = await mkdtemp(join(tmpdir(), 'fluxdeck-bench-git-'));
const server = await startGitServer({ root: join(work, 'server') });
try {
  const url = await server.createRepo('bench');
  const tGen = await timed(() => generate(server.repoPath('bench')));
  const size = (await exec('du', ['-sb', server.repoPath('bench')])).stdout.split('\t')[0];
  console.log(
    `repository: ${FILES} files, ${COMMITS} commits, ${mb(Number(size))} on disk (generated in ${(tGen.ms / 1000).toFixed(1)} s)`,
  );
  (globalThis as { gc?: () => void }).gc?.();
  const base = process.memoryUsage();
  console.log(`baseline before our runs: rss ${mb(base.rss)}, heap ${mb(base.heapUsed)}`);

  const ours: number[] = [];
  const theirs: number[] = [];
  let peakRss = 0;
  let peakHeap = 0;
  let last: { source: GitSource; dir: string; revision: string } | undefined;
  for (let run = 0; run < RUNS; run++) {
    const dir = join(work, `ours-${run}`);
    const source = new GitSource({
      cacheDir: join(dir, 'git'),
      store: new ArtifactStore({ root: join(dir, 'artifacts') }),
      workers: 1,
    });
    const m = await peak(() =>
      timed(async () => {
        const fetched = await source.fetch({ url, ref: { branch: 'main' } }, undefined);
        const built = await source.buildArtifact({ owner: { namespace: 'bench', name: 'bench' }, fetched });
        return { fetched, built };
      }),
    );
    ours.push(m.value.ms);
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heap);
    if (run === 0) {
      console.log(
        `  ours: received ${mb(m.value.value.fetched.bytesReceived)}, artifact ${mb(m.value.value.built.artifact.size ?? 0)} with ${m.value.value.built.files} files`,
      );
    }
    if (last) await last.source.close();
    last = { source, dir, revision: m.value.value.fetched.revision };

    const clone = join(work, `clone-${run}`);
    const g = await timed(async () => {
      await exec('git', ['clone', '--quiet', '--depth', '1', '--single-branch', '--branch', 'main', url, clone]);
      await exec('tar', ['czf', `${clone}.tgz`, '--exclude=.git', '-C', clone, '.']);
    });
    theirs.push(g.ms);
    if (run < RUNS - 1) await rm(clone, { recursive: true, force: true });
  }
  const oursFirst = median(ours);
  const gitFirst = median(theirs);
  console.log(
    `(a) first fetch + artifact: fluxdeck ${oursFirst.toFixed(0)} ms, git clone --depth 1 + tar czf ${gitFirst.toFixed(0)} ms, ratio ${(oursFirst / gitFirst).toFixed(2)}`,
  );
  console.log(
    `    peak during ours: rss ${mb(peakRss)} (+${mb(peakRss - base.rss)} over baseline), heap ${mb(peakHeap)}`,
  );

  // (b) one more commit, then an incremental fetch on each side; INC_RUNS rounds, alternating which side fetches
  // first, medians compared (one round's ratio varied 0.87–1.39 on this shared machine).
  const clone = join(work, `clone-${RUNS - 1}`);
  const incOurs: number[] = [];
  const incGit: number[] = [];
  let incFetched: Awaited<ReturnType<GitSource['fetch']>> | undefined;
  for (let r = 0; r < INC_RUNS; r++) {
    await commitFiles(
      server.repoPath('bench'),
      { [`dir00/sub0/file-${r}.yaml`]: `changed ${Date.now()}\n` },
      { message: `one more ${r}` },
    );
    const ours = async (): Promise<void> => {
      const m = await timed(() =>
        last!.source.fetch({ url, ref: { branch: 'main' } }, undefined, { lastRevision: last!.revision }),
      );
      if (!m.value.changed) throw new Error('the incremental fetch did not see the new commit');
      incOurs.push(m.ms);
      incFetched = m.value;
      last!.revision = m.value.revision;
    };
    const theirs = async (): Promise<void> => {
      incGit.push(
        (await timed(() => exec('git', ['-C', clone, 'fetch', '--quiet', '--depth', '1', 'origin', 'main']))).ms,
      );
    };
    if (r % 2 === 0) await ours().then(theirs);
    else await theirs().then(ours);
  }
  const incOursMs = median(incOurs);
  const incGitMs = median(incGit);
  console.log(
    `(b) incremental fetch (ms): fluxdeck ${incOurs.map((t) => t.toFixed(0)).join(' ')} (${incFetched!.bytesReceived} bytes received last); git fetch --depth 1 ${incGit.map((t) => t.toFixed(0)).join(' ')}; medians ${incOursMs.toFixed(0)} / ${incGitMs.toFixed(0)}, ratio ${(incOursMs / incGitMs).toFixed(2)}`,
  );
  const rebuild = await timed(() =>
    last!.source.buildArtifact({ owner: { namespace: 'bench', name: 'bench' }, fetched: incFetched! }),
  );
  console.log(`    artifact rebuild after it: ${rebuild.ms.toFixed(0)} ms`);
  await last?.source.close();
  console.log(
    benchLine(
      'git',
      'first fetch + artifact (5k files)',
      { value: oursFirst, unit: 'ms' },
      { name: 'git clone --depth 1 + tar czf', value: gitFirst, unit: 'ms' },
    ),
  );
  console.log(
    benchLine(
      'git-incremental',
      'fetch after one more commit',
      { value: incOursMs, unit: 'ms' },
      { name: 'git fetch --depth 1', value: incGitMs, unit: 'ms' },
    ),
  );
} finally {
  await server.close();
  await rm(work, { recursive: true, force: true });
}
