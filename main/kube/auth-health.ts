import { isKubeError } from './kube-error.ts';
import type { AuthMethod } from './kubeconfig.ts';

/**
 * Per context: did the last request get through, and if not, why and what to do. The UI shows it next to each
 * context and the inbox raises "cluster auth failing" from it. Only authentication and reachability count here:
 * a 404 or an invalid object says nothing about the connection.
 */
export interface AuthHealth {
  context: string;
  method: AuthMethod;
  state: 'unknown' | 'ok' | 'failing';
  /** ISO timestamps. */
  lastSuccess?: string;
  lastError?: { at: string; message: string; hint?: string; reason: string };
}

export class AuthHealthRegistry {
  readonly #records = new Map<string, AuthHealth>();
  readonly #listeners = new Set<(h: AuthHealth) => void>();
  readonly #lastWrite = new Map<string, number>();

  get(context: string): AuthHealth | undefined {
    return this.#records.get(context);
  }

  list(): AuthHealth[] {
    return [...this.#records.values()];
  }

  /** Called on every state change (not on every request), so listeners can raise and clear alerts. */
  onChange(listener: (h: AuthHealth) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  register(context: string, method: AuthMethod): void {
    if (!this.#records.has(context)) this.#records.set(context, { context, method, state: 'unknown' });
  }

  recordSuccess(context: string, method: AuthMethod): void {
    const prev = this.#records.get(context);
    // Called for every response: refresh the timestamp at most once a second.
    const now = Date.now();
    if (prev?.state === 'ok' && now - (this.#lastWrite.get(context) ?? 0) < 1000) return;
    this.#lastWrite.set(context, now);
    const next: AuthHealth = { ...prev, context, method, state: 'ok', lastSuccess: new Date().toISOString() };
    this.#records.set(context, next);
    if (prev?.state !== 'ok') this.#emit(next);
  }

  /** Records a failure if it is about the connection or credentials; returns whether it did. */
  recordFailure(context: string, method: AuthMethod, err: unknown): boolean {
    if (!isConnectionFailure(err)) return false;
    const prev = this.#records.get(context);
    const e = err as { message: string; hint?: string; reason: string };
    const next: AuthHealth = {
      ...prev,
      context,
      method,
      state: 'failing',
      lastError: { at: new Date().toISOString(), message: e.message, hint: e.hint, reason: e.reason },
    };
    this.#records.set(context, next);
    // A new kind of failure is news; the same failure of another request is not (requests sent side by side, such as
    // discovery's /api and /apis, fail together with messages that differ only in their path).
    if (prev?.state !== 'failing' || prev.lastError?.reason !== e.reason || prev.lastError.hint !== e.hint)
      this.#emit(next);
    return true;
  }

  #emit(h: AuthHealth): void {
    for (const l of this.#listeners) l(h);
  }
}

export function isConnectionFailure(err: unknown): boolean {
  return isKubeError(err, 'Unauthorized') || isKubeError(err, 'AuthFailed') || isKubeError(err, 'Unreachable');
}
