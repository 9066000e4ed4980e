/**
 * The bootstrap wizard's requests: `bootstrap:start` runs the workbench's bootstrap and answers when flux-system is
 * Ready; every step (and the failure) goes to every client as `bootstrap:onProgress`, tagged with the request's id.
 * The request's credentials go to the workbench only: no event or response carries them.
 */
import type { BootstrapStepState, EventChannel, EventOf } from '../contract/index.ts';
import { errorMessage } from '../util/errors.ts';
import type { Workbench } from '../workbench/index.ts';
import type { Handlers } from './router.ts';

type BootstrapHandlers = Pick<Handlers, 'bootstrap:start' | 'bootstrap:cancel'>;

export function bootstrapHandlers(
  port: Workbench,
  broadcast: <E extends EventChannel>(channel: E, payload: EventOf<E>) => void,
  now: () => Date,
): BootstrapHandlers {
  return {
    'bootstrap:start': async ({ actionId, ...input }, ctx) => {
      const started = performance.now();
      const { cluster } = input;
      const progress = (state: BootstrapStepState, message: string): void =>
        broadcast('bootstrap:onProgress', { actionId, cluster, state, message, at: now().toISOString() });
      try {
        const out = await port.bootstrap.run(input, {
          signal: ctx.signal,
          onStep: (step) => progress(step.state, step.message),
        });
        return { actionId, cluster, ...out, durationMs: Math.round(performance.now() - started) };
      } catch (err) {
        progress('failed', errorMessage(err));
        throw err;
      }
    },
    'bootstrap:cancel': ({ cluster }) => Promise.resolve({ cancelled: port.bootstrap.cancel(cluster) }),
  };
}
