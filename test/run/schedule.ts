// Which steps of a test run to start next: a pure plan, so the runner that spawns them stays a thin loop.

/** One step of a test run: a command, and the steps that must have passed before it may start. */
export interface Step {
  name: string;
  command: readonly string[];
  after?: readonly string[];
}

export type Outcome = 'passed' | 'failed' | 'skipped';

export interface Progress {
  running: ReadonlySet<string>;
  ended: ReadonlyMap<string, Outcome>;
}

export interface Next {
  /** Steps to start now, in the order given. */
  start: Step[];
  /** Steps that will never run: something they come after failed or was skipped. */
  skip: Step[];
}

/**
 * The order of `steps` is their priority. A step starts once every step it comes after has passed, while fewer than
 * `slots` steps run; a failed step does not stop the steps that do not need it, so one run reports every failure.
 */
export function nextSteps(steps: readonly Step[], progress: Progress, slots: number): Next {
  const ended = new Map(progress.ended);
  const skip: Step[] = [];
  // Skipping cascades (build failed → e2e skipped → whatever needs e2e skipped), so repeat until nothing changes.
  for (let changed = true; changed;) {
    changed = false;
    for (const step of steps) {
      if (ended.has(step.name) || progress.running.has(step.name)) continue;
      const blocked = (step.after ?? []).some((name) => ended.get(name) === 'failed' || ended.get(name) === 'skipped');
      if (blocked) {
        ended.set(step.name, 'skipped');
        skip.push(step);
        changed = true;
      }
    }
  }
  const start: Step[] = [];
  let free = slots - progress.running.size;
  for (const step of steps) {
    if (free <= 0) break;
    if (ended.has(step.name) || progress.running.has(step.name)) continue;
    if ((step.after ?? []).every((name) => ended.get(name) === 'passed')) {
      start.push(step);
      free -= 1;
    }
  }
  return { start, skip };
}

/** Names that are not steps, in `after` lists: a typo there would otherwise leave its step waiting forever. */
export function unknownDependencies(steps: readonly Step[]): string[] {
  const names = new Set(steps.map((s) => s.name));
  return steps.flatMap((s) => (s.after ?? []).filter((name) => !names.has(name)).map((name) => `${s.name} → ${name}`));
}
