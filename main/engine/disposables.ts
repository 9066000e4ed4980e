/**
 * Ownership of background work (ARCHITECTURE.md rule 7): watches, timers, child processes and subscriptions are
 * registered with the store of the cluster session, window or connection that owns them, and are torn down with it,
 * in reverse order of registration.
 */
export type Disposer = () => void | Promise<void>;

export class DisposableStore {
  private readonly disposers: Disposer[] = [];
  private disposed = false;

  /** Registers `d`; if the store is already disposed, runs it at once (late registrations cannot leak). */
  add(d: Disposer): Disposer {
    if (this.disposed)
      Promise.resolve()
        .then(d)
        .catch(() => undefined);
    else this.disposers.push(d);
    return d;
  }

  /** A timer owned by this store. */
  setInterval(fn: () => void, ms: number): void {
    const t = setInterval(fn, ms);
    t.unref();
    this.add(() => clearInterval(t));
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Runs every disposer (newest first); errors are collected so one failure does not leak the rest. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const errors: unknown[] = [];
    for (const d of this.disposers.splice(0).reverse()) {
      try {
        await d();
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, `${errors.length} disposer(s) failed`);
  }
}
