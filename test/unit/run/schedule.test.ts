import { describe, expect, it } from 'vitest';

import { nextSteps, type Outcome, type Step, unknownDependencies } from '../../run/schedule.ts';

const step = (name: string, after?: string[]): Step => ({ name, command: ['true'], after });
const steps = [step('integration'), step('lint'), step('build'), step('unit'), step('e2e', ['build'])];
const names = (list: Step[]): string[] => list.map((s) => s.name);
const progress = (running: string[], ended: Record<string, Outcome> = {}) => ({
  running: new Set(running),
  ended: new Map(Object.entries(ended)),
});

describe('nextSteps', () => {
  it('starts steps in the order given, as many as there are slots', () => {
    expect(names(nextSteps(steps, progress([]), 3).start)).toEqual(['integration', 'lint', 'build']);
  });

  it('fills only the free slots and never restarts a running or ended step', () => {
    const next = nextSteps(steps, progress(['integration', 'build'], { lint: 'passed' }), 3);
    expect(names(next.start)).toEqual(['unit']);
  });

  it('holds a step until what it comes after has passed, and lets later steps go first meanwhile', () => {
    expect(names(nextSteps(steps, progress(['build'], { integration: 'passed', lint: 'passed' }), 3).start)).toEqual([
      'unit',
    ]);
    expect(names(nextSteps(steps, progress([], { build: 'passed' }), 1).start)).toEqual(['integration']);
    expect(
      names(nextSteps(steps, progress(['unit'], { build: 'passed', integration: 'failed', lint: 'passed' }), 2).start),
    ).toEqual(['e2e']);
  });

  it('skips what comes after a failed step, transitively, and runs the steps that do not need it', () => {
    const chain = [step('build'), step('e2e', ['build']), step('report', ['e2e']), step('unit')];
    const next = nextSteps(chain, progress([], { build: 'failed' }), 2);
    expect(names(next.skip)).toEqual(['e2e', 'report']);
    expect(names(next.start)).toEqual(['unit']);
  });

  it('starts nothing when every slot is taken', () => {
    expect(nextSteps(steps, progress(['integration', 'lint']), 2)).toEqual({ start: [], skip: [] });
  });
});

describe('unknownDependencies', () => {
  it('names each step that comes after a step that does not exist', () => {
    expect(unknownDependencies([step('build'), step('e2e', ['biuld', 'build'])])).toEqual(['e2e → biuld']);
    expect(unknownDependencies(steps)).toEqual([]);
  });
});
