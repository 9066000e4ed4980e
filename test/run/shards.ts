// `node test/run/shards.ts PROJECT [SHARDS]`: runs one vitest project as SHARDS processes side by side (vitest's own
// `--shard=i/N` split of the test files), each with its own global setup and so its own control plane, and fails if
// any shard failed. The integration tests run one file at a time against their control plane, and most of their time
// is spent waiting on it (the apiserver, the controller manager, KWOK, the engine's requeues), so one run leaves
// much of a 2-core machine idle; two shards on two control planes use it. Each line of output names its shard.
import { availableParallelism } from 'node:os';

import { runPrefixed, vitestRun } from './child.ts';

const [project, shardsArg] = process.argv.slice(2);
if (!project) {
  console.error('usage: node test/run/shards.ts PROJECT [SHARDS]');
  process.exit(2);
}
const shards = Number(shardsArg ?? Math.min(2, availableParallelism()));
if (!Number.isInteger(shards) || shards < 1) {
  console.error(`shards: SHARDS must be a whole number of at least 1, not "${shardsArg}"`);
  process.exit(2);
}

const codes = await Promise.all(
  Array.from({ length: shards }, (_, i) =>
    runPrefixed(vitestRun(project, { index: i + 1, of: shards }), shards > 1 ? `[${i + 1}/${shards}] ` : ''),
  ),
);
const failed = codes.flatMap((c, i) => (c === 0 ? [] : [`${i + 1}/${shards} (exit ${c})`]));
if (failed.length) console.error(`shards: ${project}: shard ${failed.join(', ')} failed`);
process.exit(failed.length ? 1 : 0);
