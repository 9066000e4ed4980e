// `node test/run-shards.ts PROJECT [SHARDS]`: runs one vitest project as SHARDS processes side by side (vitest's own
// `--shard=i/N` split of the test files), each with its own global setup and so its own control plane, and fails if
// any shard failed. The integration tests run one file at a time against their control plane, and most of their time
// is spent waiting on it (the apiserver, the controller manager, KWOK, the engine's requeues), so one run leaves
// much of a 2-core machine idle; two shards on two control planes use it. Each line of output names its shard.
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

const [project, shardsArg] = process.argv.slice(2);
if (!project) {
  console.error('usage: node test/run-shards.ts PROJECT [SHARDS]');
  process.exit(2);
}
const shards = Number(shardsArg ?? Math.min(2, availableParallelism()));
if (!Number.isInteger(shards) || shards < 1) {
  console.error(`run-shards: SHARDS must be a whole number of at least 1, not "${shardsArg}"`);
  process.exit(2);
}

const vitest = join(import.meta.dirname, '..', 'node_modules', 'vitest', 'vitest.mjs');

function runShard(index: number): Promise<number> {
  const args = [vitest, 'run', '--project', project!, ...(shards > 1 ? [`--shard=${index}/${shards}`] : [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const prefix = shards > 1 ? `[${index}/${shards}] ` : '';
  for (const [from, to] of [
    [child.stdout, process.stdout],
    [child.stderr, process.stderr],
  ] as const) {
    let partial = '';
    from.setEncoding('utf8');
    from.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      if (lines.length) to.write(lines.map((l) => prefix + l).join('\n') + '\n');
    });
    from.on('end', () => {
      if (partial) to.write(prefix + partial + '\n');
    });
  }
  // A stopped run stops its shards, whose global teardown then stops their control planes.
  const forward = (signal: NodeJS.Signals): void => void child.kill(signal);
  process.on('SIGINT', forward).on('SIGTERM', forward);
  return new Promise((resolve) => child.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
}

const codes = await Promise.all(Array.from({ length: shards }, (_, i) => runShard(i + 1)));
const failed = codes.flatMap((c, i) => (c === 0 ? [] : [`${i + 1}/${shards} (exit ${c})`]));
if (failed.length) console.error(`run-shards: ${project}: shard ${failed.join(', ')} failed`);
process.exit(failed.length ? 1 : 0);
