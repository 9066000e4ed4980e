/**
 * Slicing synchronous work on the main thread, so the event loop (IPC, timers, the clusters' watches) runs between the
 * slices: a piece of work too large for one turn otherwise shows as lag everywhere else.
 */

/** Resolves after the event loop's current turn, once its timers and I/O have run. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A time budget per turn: `await budget.pause()` between pieces of work yields once the turn has used `ms`. */
export class TurnBudget {
  private readonly ms: number;
  private started = performance.now();

  constructor(ms: number) {
    this.ms = ms;
  }

  async pause(): Promise<void> {
    if (performance.now() - this.started < this.ms) return;
    await nextTurn();
    this.started = performance.now();
  }
}
