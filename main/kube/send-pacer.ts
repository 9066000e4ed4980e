/**
 * Spreads request sends over event-loop turns when a turn is already busy.
 *
 * Every cluster's requests go out from the one main thread, and a TLS write is synchronous (encryption and the
 * socket write). With 10 clusters reconciling at once (bench clusters), one poll phase answered hundreds of
 * responses whose continuations each sent the next request: writes were the largest part of the 100–500 ms
 * stretches in which no timer, IPC message or UI request could run (CPU profile: `writev` 4.7 s self, the request
 * set-up another 3 s).
 *
 * Answers are the other half: one poll phase may complete hundreds of them, and what each caller does with its answer
 * (parse it, update caches, send the next request) runs as it resolves. So rest-transport.ts passes every answer
 * through the same pacer before handing it over (bench clusters: worst 10 s window of event-loop p99 241 → 141 ms).
 *
 * So a send (or an answer) goes at once while the current turn has been busy for less than `budgetMs` and nobody is
 * waiting; otherwise it queues (in order, so nothing overtakes) and the queue is let out `perTurn` per turn, from
 * `setImmediate`, after the timers and I/O of that turn have run. One per turn by default: a released answer's
 * continuation may run a reconcile step for milliseconds, and 8 per turn let those add up to 80 ms turns (bench
 * clusters: worst window p99 201 → 63 ms going from 8 to 1, all Ready 64.2 → 57.6 s). An idle loop turns in
 * microseconds, so pacing costs no throughput; it only keeps any one turn short.
 *
 * Two ways to let bursts of cheap ones out faster were measured and are worse (bench clusters, same hour, worst
 * window p99; one per turn: 78 ms): releasing by time within a turn (one more while the turn had spent under the
 * budget) 177 ms, since a release runs before the continuation it wakes and the clock lags the work; doubling the
 * batch while turns came back within the budget (up to 32) and halving it otherwise 134 ms.
 */
import { performance } from 'node:perf_hooks';

export interface SendPacerOptions {
  /** How long a turn may have been busy before further sends wait for a later one (ms). */
  budgetMs?: number;
  /** Waiting sends (or answers) let out per turn (default 1). */
  perTurn?: number;
  now?: () => number;
  /** Runs `fn` after the current turn's I/O (setImmediate); injected by tests. */
  later?: (fn: () => void) => void;
}

export class SendPacer {
  #busySince: number | undefined;
  #draining = false;
  readonly #queue: (() => void)[] = [];
  readonly #budgetMs: number;
  readonly #perTurn: number;
  readonly #now: () => number;
  readonly #later: (fn: () => void) => void;

  constructor(opts: SendPacerOptions = {}) {
    this.#budgetMs = opts.budgetMs ?? 5;
    this.#perTurn = opts.perTurn ?? 1;
    this.#now = opts.now ?? (() => performance.now());
    this.#later = opts.later ?? ((fn) => setImmediate(fn));
  }

  /** Sends waiting for a later turn. */
  get waiting(): number {
    return this.#queue.length;
  }

  /** Undefined when the send may go now; otherwise a promise that resolves when its turn comes. */
  turn(): Promise<void> | undefined {
    if (this.#queue.length === 0) {
      const now = this.#now();
      if (this.#busySince === undefined) {
        // The first send of this turn: the turn's clock starts, and stops once its I/O has been handled.
        this.#busySince = now;
        this.#later(() => {
          this.#busySince = undefined;
        });
        return undefined;
      }
      if (now - this.#busySince < this.#budgetMs) return undefined;
    }
    return new Promise((resolve) => {
      this.#queue.push(resolve);
      this.#drainLater();
    });
  }

  #drainLater(): void {
    if (this.#draining) return;
    this.#draining = true;
    this.#later(() => {
      this.#draining = false;
      for (let i = 0; i < this.#perTurn && this.#queue.length > 0; i++) this.#queue.shift()?.();
      if (this.#queue.length > 0) this.#drainLater();
    });
  }
}

/** The process's pacer: all clusters share one main thread, so they share one budget. */
export const processSendPacer = new SendPacer();
