/**
 * The desktop wizard's bootstrap (`bootstrap:start`): bootstrap.ts's steps against the connected session of the chosen
 * context, one run per cluster at a time, cancellable. The engine already reconciles connected clusters, so its
 * `reconcile` step only checks that the session is connected and Fluxdeck is not paused. Failures become
 * FluxdeckErrors whose `details.hint` says what to do next (wrong credentials, a refused push, a slow reconcile).
 */
import { type BootstrapRequest, FluxdeckError, type FluxKey } from '../contract/index.ts';
import { errorMessage } from '../util/errors.ts';
import {
  type BootstrapDeps,
  BootstrapInputError,
  type BootstrapPlan,
  bootstrapPlan,
  type BootstrapStep,
  runBootstrap,
} from './bootstrap.ts';
import { codeFor } from './errors.ts';

/** As long as the CLI's default `--timeout`: reconciling flux-system the first time clones and applies. */
export const BOOTSTRAP_TIMEOUT_MS = 5 * 60_000;

export type BootstrapInput = Omit<BootstrapRequest, 'actionId'>;

export interface BootstrapPort {
  /** Resolves when flux-system is Ready; `onStep` reports each step. Refused (`conflict`) while one runs there. */
  run(
    input: BootstrapInput,
    opts: { signal: AbortSignal; onStep(step: BootstrapStep): void },
  ): Promise<{ message: string; kustomization: FluxKey }>;
  /**
   * Cancels the cluster's run: its request answers `cancelled` at once, the step in flight (a clone, fetch, push or
   * request to the cluster) is aborted, and nothing after it starts. False when none runs.
   */
  cancel(cluster: string): boolean;
}

export interface BootstrapRunDeps {
  /** The connected session's client and the workspaces; throws FluxdeckError('not-connected') otherwise. */
  target(cluster: string): Omit<BootstrapDeps, 'reconcile'>;
  /** Connects (or confirms) the context's session. */
  connect(cluster: string): Promise<unknown>;
  paused(): boolean;
  timeoutMs?: number;
}

const PAUSED =
  'Fluxdeck’s controllers are paused, so nothing would reconcile flux-system: resume them (status bar), then bootstrap again.';

/** What to do next after a failed bootstrap, from the step that failed and its cause. */
export function bootstrapHint(err: unknown): string {
  const message = errorMessage(err);
  const code = codeFor(err);
  if (/refused the push/.test(message))
    return 'The Git server refused the push: if the branch is protected, allow this user to push to it or choose another branch; a token needs write access to the repository.';
  if (code === 'unauthorized' || /\b(401|403)\b|authenticat/i.test(message))
    return 'Check the username and the password or token: the Git server refused them (a token needs read and write access to the repository).';
  if (/^cannot clone/.test(message))
    return 'Check the repository URL and the branch, and that this machine reaches the Git server.';
  if (code === 'cancelled') return 'What was pushed or applied stays; running the bootstrap again finishes it.';
  if (/not Ready within/.test(message))
    return 'Look at the flux-system GitRepository and Kustomization in the graph (their events say why); running the bootstrap again is safe.';
  return 'Fix what the message names, then run the bootstrap again: it updates an existing bootstrap, never forces.';
}

function planOf(input: BootstrapInput): BootstrapPlan {
  const form = {
    url: input.url,
    path: input.path,
    mode: input.mode,
    ...(input.branch ? { branch: input.branch } : {}),
    ...(input.namespace ? { namespace: input.namespace } : {}),
    ...(input.credentials ?? {}),
  };
  try {
    return bootstrapPlan(form);
  } catch (err) {
    if (err instanceof BootstrapInputError) throw new FluxdeckError('invalid-request', err.message, { cause: err });
    throw err;
  }
}

/** Settles with `work`, or rejects with the signal's reason as soon as it aborts (`work` then ends on its own). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** A cluster's run: its canceller, and when its work (not its request) has ended. */
interface Run {
  controller: AbortController;
  settled: Promise<void>;
}

export function bootstrapRuns(deps: BootstrapRunDeps): BootstrapPort {
  const running = new Map<string, Run>();
  return {
    async run(input, opts) {
      const { cluster } = input;
      // Every check before the first await, so two requests in the same tick cannot both start. A cancelled run
      // whose aborted step is still unwinding does not refuse a retry: the retry waits for it (the steps are
      // idempotent, so the retry finishes what it left).
      const previous = running.get(cluster);
      if (previous && !previous.controller.signal.aborted)
        throw new FluxdeckError(
          'conflict',
          `A bootstrap of ${cluster} is already running: wait for it to finish or cancel it, then start another.`,
        );
      const plan = planOf(input);
      if (deps.paused()) throw new FluxdeckError('unavailable', PAUSED);
      const target = deps.target(cluster);
      const own = new AbortController();
      const signal = AbortSignal.any([opts.signal, own.signal]);
      let settle!: () => void;
      const run: Run = { controller: own, settled: new Promise<void>((resolve) => (settle = resolve)) };
      running.set(cluster, run);
      let work: Promise<void> | undefined;
      try {
        await untilAborted(previous?.settled ?? Promise.resolve(), signal);
        work = runBootstrap(
          {
            ...target,
            reconcile: async () => {
              await deps.connect(cluster);
              if (deps.paused()) throw new FluxdeckError('unavailable', PAUSED);
            },
          },
          plan,
          {
            // The request answers at once (untilAborted); the step in flight is aborted by `signal`, and a step
            // that cannot be (a local commit) is the last: the work stops at its next report.
            onStep: (step) => {
              signal.throwIfAborted();
              opts.onStep(step);
            },
            timeoutMs: deps.timeoutMs ?? BOOTSTRAP_TIMEOUT_MS,
            signal,
          },
        );
        await untilAborted(work, signal);
      } catch (err) {
        const cancelled = signal.aborted;
        const message = cancelled
          ? `The bootstrap of ${cluster} was cancelled`
          : `The bootstrap of ${cluster} failed: ${errorMessage(err)}`;
        throw new FluxdeckError(cancelled ? 'cancelled' : codeFor(err), message, {
          cause: err,
          details: { hint: bootstrapHint(cancelled ? new FluxdeckError('cancelled', message) : err) },
        });
      } finally {
        // The cluster is free once the work has ended, not when the request answers.
        void (work ?? Promise.resolve())
          .catch(() => undefined)
          .finally(() => {
            if (running.get(cluster) === run) running.delete(cluster);
            settle();
          });
      }
      return {
        message:
          plan.mode === 'in-cluster'
            ? `Flux's controllers run in ${cluster} and reconcile ${plan.namespace}/flux-system from ${plan.branch} of ${plan.url}; Fluxdeck observes`
            : `${plan.namespace}/flux-system is Ready in ${cluster}: Fluxdeck reconciles it from ${plan.branch} of ${plan.url}`,
        kustomization: { cluster, kind: 'Kustomization', namespace: plan.namespace, name: 'flux-system' },
      };
    },
    cancel(cluster) {
      const run = running.get(cluster);
      if (!run || run.controller.signal.aborted) return false;
      run.controller.abort(new FluxdeckError('cancelled', `The bootstrap of ${cluster} was cancelled`));
      return true;
    },
  };
}
