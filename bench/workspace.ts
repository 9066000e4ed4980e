// `npm run bench -- workspace [files]`: the editor's Git work tree on a generated repository (default 5,000 YAML files
// of about 2–8 kB each, in one commit) served by the local git server.
//   (a) open: Workspace.open (shallow-clone.ts, depth 1) vs `git clone --depth 1 --single-branch`;
//   (b) one edit cycle, the step users repeat: write one file, status, validate + commit, push —
//       Fluxdeck's Workspace vs the git CLI (`git status --porcelain`, `git commit -a`, `git push`) in its own clone.
//       Each step's median is printed too (write, status, commit, push).
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Workspace } from '../main/sources/workspace/index.ts';
import { startCommandProcess } from '../test/support/command-process.ts';
import { startGitServerProcess } from '../test/support/git-server-process.ts';
import { benchLine, median } from './report.ts';

const FILES = Number(process.argv[2] ?? 5000);
const RUNS = 5;
const OPEN_RUNS = 6;
const AUTHOR = { name: 'Bench', email: 'bench@fluxdeck.local' };
// Every git command runs from a process of its own, never spawned from this one (command-process.ts says why).
const commands = await startCommandProcess();
const git = (cwd: string, ...args: string[]): Promise<{ stdout: string }> =>
  commands.run('git', ['-c', `user.name=${AUTHOR.name}`, '-c', `user.email=${AUTHOR.email}`, '-C', cwd, ...args]);

const yaml = (i: number, v: number): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${i}\ndata:\n  version: "${v}"\n  blob: ${randomBytes(
    Math.ceil((1500 + ((i * 7919) % 4500)) * 0.75),
  ).toString('base64')}\n`;

async function seed(bare: string): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'fluxdeck-bench-seed-'));
  await git(work, 'init', '--quiet', '--initial-branch=main');
  for (let i = 0; i < FILES; i++) {
    const dir = join(work, `apps/dir${String(i % 50).padStart(2, '0')}`);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, `cm-${i}.yaml`), yaml(i, 0));
  }
  await git(work, 'add', '--all');
  await git(work, 'commit', '--quiet', '-m', 'seed');
  await git(work, 'push', '--quiet', bare, 'HEAD:refs/heads/main');
  await rm(work, { recursive: true, force: true });
}

const time = async (fn: () => Promise<unknown>): Promise<number> => {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
};

/** Runs the steps in order, recording each one's time in `into`; returns the total. */
const steps = async (into: Record<string, number[]>, fns: Record<string, () => Promise<unknown>>): Promise<number> => {
  let total = 0;
  for (const [name, fn] of Object.entries(fns)) {
    const t = await time(fn);
    (into[name] ??= []).push(t);
    total += t;
  }
  return total;
};
/** Measures the longest gap between 2 ms ticks until `stop`: how long the event loop was held at once. */
const loopProbe = (): { stop: () => number } => {
  let last = performance.now();
  let longest = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 2);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(longest, performance.now() - last);
    },
  };
};
const split = (by: Record<string, number[]>): string =>
  Object.entries(by)
    .map(([name, ts]) => `${name} ${median(ts).toFixed(0)}`)
    .join(', ');

// The server runs in a process of its own, as a remote one does (git-server-process.ts says why).
const server = await startGitServerProcess();
const root = await mkdtemp(join(tmpdir(), 'fluxdeck-bench-ws-'));
try {
  const url = await server.createRepo('fleet');
  await seed(server.repoPath('fleet'));
  const path = (i: number): string => `apps/dir${String(i % 50).padStart(2, '0')}/cm-${i}.yaml`;

  // Interleaved pairs, alternating which side goes first (the page cache and the server's pack generation warm up
  // for whoever comes second), medians of OPEN_RUNS: single runs on this shared 2-core machine varied 0.8–3×.
  const oursOpen: number[] = [];
  const gitOpen: number[] = [];
  // The work tree runs on the (desktop's) main thread: the longest the event loop was held during an open is what the
  // open costs everything else in that process (IPC, the clusters' watches).
  const held: number[] = [];
  for (let r = 0; r < OPEN_RUNS; r++) {
    const ours = async (): Promise<void> => {
      const probe = loopProbe();
      oursOpen.push(await time(() => Workspace.open({ url, branch: 'main' }, { root: join(root, `ours-${r}`) })));
      held.push(probe.stop());
    };
    const theirs = async (): Promise<void> => {
      gitOpen.push(
        await time(() =>
          commands.run('git', [
            'clone',
            '--quiet',
            '--depth=1',
            '--single-branch',
            '--branch=main',
            url,
            join(root, `git-${r}`),
          ]),
        ),
      );
    };
    if (r % 2 === 0) await ours().then(theirs);
    else await theirs().then(ours);
  }
  console.log(
    `opens (ms): fluxdeck ${oursOpen.map((t) => t.toFixed(0)).join(' ')}; git ${gitOpen.map((t) => t.toFixed(0)).join(' ')}`,
  );
  console.log(`longest event-loop turn during each open (ms): ${held.map((t) => t.toFixed(0)).join(' ')}`);
  console.log(
    benchLine(
      'workspace-open',
      `clone of ${FILES} files`,
      { value: median(oursOpen), unit: 'ms' },
      {
        name: 'git clone --depth 1',
        value: median(gitOpen),
        unit: 'ms',
      },
    ),
  );

  // Both sides push to the same branch in turn, each fetching the other's commit first, so every push is a real
  // fast-forward of a moved server (as two people editing would).
  const ws = await Workspace.open({ url, branch: 'main' }, { root: join(root, 'ours-0') });
  const cli = join(root, 'git-0');
  const ours: number[] = [];
  const theirs: number[] = [];
  const oursSteps: Record<string, number[]> = {};
  const theirSteps: Record<string, number[]> = {};
  for (let r = 1; r <= RUNS; r++) {
    await ws.update();
    ours.push(
      await steps(oursSteps, {
        write: () => ws.writeFile(path(r), yaml(r, r)),
        status: () => ws.status(),
        commit: async () => {
          const c = await ws.commit({ message: `edit ${r}`, author: AUTHOR });
          if (c.status !== 'committed') throw new Error(`commit: ${c.status}`);
        },
        push: async () => {
          const p = await ws.push();
          if (p.status !== 'pushed') throw new Error(`push: ${p.status}`);
        },
      }),
    );
    await git(cli, 'pull', '--quiet', '--ff-only', 'origin', 'main');
    theirs.push(
      await steps(theirSteps, {
        write: () => writeFile(join(cli, path(r + 100)), yaml(r + 100, r)),
        status: () => git(cli, 'status', '--porcelain'),
        commit: () => git(cli, 'commit', '--quiet', '-a', '-m', `edit ${r}`),
        push: () => git(cli, 'push', '--quiet', 'origin', 'HEAD:refs/heads/main'),
      }),
    );
  }
  const rss = process.memoryUsage().rss / 2 ** 20;
  console.log(
    `edit cycles (ms): fluxdeck ${ours.map((t) => t.toFixed(0)).join(' ')}; git ${theirs.map((t) => t.toFixed(0)).join(' ')}; rss ${rss.toFixed(0)} MiB`,
  );
  console.log(`median per step (ms): fluxdeck ${split(oursSteps)}; git ${split(theirSteps)}`);
  console.log(
    benchLine(
      'workspace',
      `edit, status, commit and push in a ${FILES}-file work tree`,
      { value: median(ours), unit: 'ms' },
      {
        name: 'git CLI',
        value: median(theirs),
        unit: 'ms',
      },
    ),
  );
} finally {
  await server.close();
  await commands.close();
  await rm(root, { recursive: true, force: true });
}
