import { describe, expect, it } from 'vitest';

import { SendPacer } from '../../../main/kube/send-pacer.ts';

/** A pacer on a hand-driven clock whose "later" callbacks run when the test ends the turn. */
function pacerOnClock(opts: { budgetMs: number; perTurn: number }): {
  pacer: SendPacer;
  advance: (ms: number) => void;
  endTurn: () => Promise<void>;
} {
  let now = 0;
  let later: (() => void)[] = [];
  const pacer = new SendPacer({ ...opts, now: () => now, later: (fn) => later.push(fn) });
  return {
    pacer,
    advance: (ms) => {
      now += ms;
    },
    endTurn: async () => {
      const run = later;
      later = [];
      for (const fn of run) fn();
      await Promise.resolve();
    },
  };
}

describe('SendPacer', () => {
  it('lets sends go at once while the turn is within its budget, and starts a new budget each turn', async () => {
    const { pacer, advance, endTurn } = pacerOnClock({ budgetMs: 5, perTurn: 2 });
    expect(pacer.turn()).toBeUndefined();
    advance(4);
    expect(pacer.turn()).toBeUndefined();
    advance(2);
    expect(pacer.turn()).toBeInstanceOf(Promise);
    await endTurn();
    expect(pacer.waiting).toBe(0);
    // A new turn: its clock starts again.
    expect(pacer.turn()).toBeUndefined();
  });

  it('queues sends past the budget in order, lets out perTurn of them each turn, and lets nothing overtake', async () => {
    const { pacer, advance, endTurn } = pacerOnClock({ budgetMs: 5, perTurn: 2 });
    expect(pacer.turn()).toBeUndefined();
    advance(10);
    const order: number[] = [];
    const sends: Promise<number>[] = [];
    const queue = (i: number): void => {
      const wait = pacer.turn();
      if (!wait) throw new Error(`send ${i} was let out at once`);
      sends.push(wait.then(() => order.push(i)));
    };
    for (let i = 0; i < 5; i++) queue(i);
    expect(pacer.waiting).toBe(5);
    await endTurn();
    expect(order).toEqual([0, 1]);
    // While sends wait, a new one queues behind them even though this turn has spent nothing yet.
    queue(5);
    expect(pacer.waiting).toBe(4);
    await endTurn();
    await endTurn();
    await endTurn();
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    expect(pacer.waiting).toBe(0);
    await Promise.all(sends);
  });
});
