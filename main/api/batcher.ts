/**
 * Coalesces a stream of items for one subscriber and flushes on time and on size (style guide practice 9): the first
 * item after a flush starts a timer of `maxDelayMs`, and reaching `maxItems` pending keys flushes at once. It is a
 * throttle, not a debounce, so a steady stream still reaches the client every `maxDelayMs`. Items with the same key
 * replace each other (newest wins, keeping the first one's place), which is what makes a reconcile storm of thousands
 * of watch events arrive as a few messages.
 */
export interface BatcherOptions<T> {
  maxItems: number;
  maxDelayMs: number;
  /** Items with equal keys collapse to the newest; without it nothing collapses. */
  keyOf?: (item: T) => string;
  flush(items: T[]): void;
  /** Called when `flush` throws; the batch is dropped (the sink is usually gone) and the batcher keeps going. */
  onError?: (err: unknown) => void;
}

export interface Batcher<T> {
  push(item: T): void;
  /** Sends whatever is pending now. */
  flush(): void;
  /** Number of pending (distinct) items. */
  readonly size: number;
  /** Drops pending items and stops the timer; later pushes are ignored. */
  dispose(): void;
}

export function createBatcher<T>(opts: BatcherOptions<T>): Batcher<T> {
  let pending = new Map<string, T>();
  let seq = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let disposed = false;

  const flush = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (pending.size === 0) return;
    const items = [...pending.values()];
    pending = new Map();
    try {
      opts.flush(items);
    } catch (err) {
      opts.onError?.(err);
    }
  };

  return {
    push(item) {
      if (disposed) return;
      pending.set(opts.keyOf ? opts.keyOf(item) : String(seq++), item);
      if (pending.size >= opts.maxItems) flush();
      else if (timer === undefined) timer = setTimeout(flush, opts.maxDelayMs);
    },
    flush,
    get size() {
      return pending.size;
    },
    dispose() {
      disposed = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      pending.clear();
    },
  };
}
