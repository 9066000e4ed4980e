// A child process whose output lines carry a prefix naming it, so several can share one terminal or CI log.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

/** Runs `command` with each line of its stdout and stderr prefixed; resolves to its exit code (1 if a signal ended it). */
export function runPrefixed(command: readonly string[], prefix: string): Promise<number> {
  const [file, ...args] = command;
  // Its own process group, so a stop reaches everything it started: `npm run lint` runs eslint under a shell, which
  // passes no signal on, and a stopped run otherwise waited for eslint to finish.
  const group = process.platform !== 'win32';
  const child = spawn(file!, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: group });
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
  // A stopped run stops its children; vitest's global teardown then stops their control planes.
  const forward = (signal: NodeJS.Signals): void => {
    try {
      if (group && child.pid) process.kill(-child.pid, signal);
      else child.kill(signal);
    } catch {
      // already gone
    }
  };
  process.on('SIGINT', forward).on('SIGTERM', forward);
  return new Promise((resolve) => {
    child.on('error', (error) => {
      process.stderr.write(`${prefix}cannot start ${file}: ${error.message}\n`);
    });
    child.on('close', (code, signal) => {
      process.off('SIGINT', forward).off('SIGTERM', forward);
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}

const vitest = join(import.meta.dirname, '..', '..', 'node_modules', 'vitest', 'vitest.mjs');

/** `vitest run` of one project, or of shard `index` of `of` (vitest's own split of the test files). */
export function vitestRun(project: string, shard?: { index: number; of: number }): string[] {
  const split = shard && shard.of > 1 ? [`--shard=${shard.index}/${shard.of}`] : [];
  return [process.execPath, vitest, 'run', '--project', project, ...split];
}
