// `npm test` (`node test/run/all.ts`): lint, typecheck, build, and the unit, integration and end-to-end tests, run
// side by side instead of one after another. One after another, a 2-core machine sat a third idle through them
// (sampled every 5 s in a fresh-machine CI run: 1.37 cores busy on average over 967 s), because lint and typecheck use
// about one core and the integration and end-to-end tests mostly wait on their control planes; side by side the same
// steps took 813 s with 1.97 cores busy. The integration shards start first (the longest steps), the rest fill the free
// slots in the order listed, and only the end-to-end tests wait, for the build they serve. A failed step does not stop
// the others, so one run reports every failure; the steps' output lines carry their names, and a summary ends the run.
import { availableParallelism } from 'node:os';

import { runPrefixed, vitestRun } from './child.ts';
import { nextSteps, type Outcome, type Step, unknownDependencies } from './schedule.ts';

const cores = availableParallelism();
const shards = Math.min(2, cores);
// One more step than cores: the integration and end-to-end shards leave about a third of a core each unused.
const slots = cores + 1;

const npm = process.env.npm_execpath ? [process.execPath, process.env.npm_execpath] : ['npm'];
const npmRun = (script: string): string[] => [...npm, 'run', '--silent', script];
const shardSteps = (project: string, after?: string[]): Step[] =>
  Array.from({ length: shards }, (_, i) => ({
    name: shards > 1 ? `${project} ${i + 1}/${shards}` : project,
    command: vitestRun(project, { index: i + 1, of: shards }),
    after,
  }));

const steps: Step[] = [
  ...shardSteps('integration'),
  { name: 'lint', command: npmRun('lint') },
  { name: 'typecheck', command: npmRun('typecheck') },
  { name: 'build', command: npmRun('build') },
  { name: 'unit', command: vitestRun('unit') },
  ...shardSteps('e2e', ['build']),
];
const unknown = unknownDependencies(steps);
if (unknown.length) throw new Error(`test run: steps come after steps that do not exist: ${unknown.join(', ')}`);

const width = Math.max(...steps.map((s) => s.name.length));
const began = performance.now();
const seconds = (since: number): string => `${Math.round((performance.now() - since) / 1000)} s`;
const say = (line: string): void => void process.stdout.write(`── ${line}\n`);

const running = new Set<string>();
const ended = new Map<string, Outcome>();
const took = new Map<string, string>();
// Ctrl-C, or CI cancelling the job: the running steps stop (child.ts forwards the signal to them, and vitest's global
// teardown stops their control planes) and no new step starts.
const stopping = new AbortController();
const stop = (): void => stopping.abort();
process.on('SIGINT', stop).on('SIGTERM', stop);

/** Steps that have not started, when the run was stopped. */
function abandon(): void {
  const left = steps.filter((s) => !ended.has(s.name) && !running.has(s.name));
  for (const step of left) ended.set(step.name, 'skipped');
  if (left.length) say(`stopped: not starting ${left.map((s) => s.name).join(', ')}`);
}

await new Promise<void>((finished) => {
  const pump = (): void => {
    const stopped = stopping.signal.aborted;
    if (stopped) abandon();
    const { start, skip } = nextSteps(steps, { running, ended }, stopped ? 0 : slots);
    for (const step of skip) {
      ended.set(step.name, 'skipped');
      say(`${step.name}: skipped, since ${step.after?.join(', ')} did not pass`);
    }
    for (const step of start) {
      running.add(step.name);
      const since = performance.now();
      say(`${step.name}: started at ${seconds(began)}`);
      const end = (code: number): void => {
        running.delete(step.name);
        ended.set(step.name, code === 0 ? 'passed' : 'failed');
        took.set(step.name, seconds(since));
        say(`${step.name}: ${code === 0 ? 'passed' : `FAILED (exit ${code})`} in ${seconds(since)}`);
        pump();
      };
      runPrefixed(step.command, `[${step.name.padEnd(width)}] `).then(end, () => end(1));
    }
    if (running.size === 0 && ended.size === steps.length) finished();
  };
  pump();
});

const failed = steps.filter((s) => ended.get(s.name) !== 'passed');
say(`test run: ${steps.length - failed.length} of ${steps.length} steps passed in ${seconds(began)}`);
for (const step of steps)
  say(`  ${ended.get(step.name)!.padEnd(7)} ${step.name.padEnd(width)} ${took.get(step.name) ?? ''}`);
process.exit(stopping.signal.aborted ? 130 : failed.length ? 1 : 0);
