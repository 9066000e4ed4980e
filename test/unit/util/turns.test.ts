import { describe, expect, it } from 'vitest';

import { nextTurn, TurnBudget } from '../../../main/util/turns.ts';

describe('TurnBudget', () => {
  it('lets the event loop run once a turn has used its budget, and not before', async () => {
    const budget = new TurnBudget(20);
    let ran = false;
    setImmediate(() => (ran = true));
    await budget.pause();
    expect(ran).toBe(false);
    const until = performance.now() + 25;
    while (performance.now() < until); // a piece of synchronous work longer than the budget
    await budget.pause();
    expect(ran).toBe(true);
  });

  it('starts a new budget after yielding', async () => {
    const budget = new TurnBudget(20);
    const until = performance.now() + 25;
    while (performance.now() < until);
    await budget.pause();
    let ran = false;
    setImmediate(() => (ran = true));
    await budget.pause();
    expect(ran).toBe(false);
    await nextTurn();
    expect(ran).toBe(true);
  });
});
