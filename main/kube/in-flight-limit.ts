/**
 * At most `max` ordinary requests of one cluster in flight; the rest wait in order.
 *
 * It matches the request pool's socket count, so Node's agent never queues a request itself. A request queued in
 * the agent is written the moment a response frees its socket, from inside the I/O callback that read the response,
 * where no pacer sees it: in a 10-cluster profile (bench clusters) those writes (`onSocketNT` → `writev`) were 10.5 s
 * of the 43.5 s spent in turns of 40 ms or more. Waiting here instead, a request goes out through the send pacer,
 * which spreads sends over turns.
 */
export class InFlightLimit {
  #inFlight = 0;
  readonly #waiting: (() => void)[] = [];
  readonly #max: number;

  constructor(max: number) {
    this.#max = Math.max(1, max);
  }

  /** Undefined when a slot was free and is now taken; otherwise a promise resolving with a slot handed over. */
  take(): Promise<void> | undefined {
    if (this.#inFlight < this.#max) {
      this.#inFlight++;
      return undefined;
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  /** Gives a slot back: to the longest waiting request if there is one. */
  give(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#inFlight--;
  }

  get waiting(): number {
    return this.#waiting.length;
  }
}
