/**
 * The contract's request handlers: thin translations from validated payloads to the engine port. Actions publish
 * their progress as `actions:onProgress` events until the result (or the error envelope) goes back to the caller.
 */
import type {
  ActionKind,
  ActionOutcome,
  ActionPhase,
  Capabilities,
  ClusterInfo,
  EventChannel,
  EventOf,
  FluxKey,
  HealthSummary,
} from '../contract/index.ts';
import type { ActionOptions, EngineOutcome, Workbench } from '../workbench/index.ts';
import { bootstrapHandlers } from './bootstrap-handlers.ts';
import { editingHandlers } from './editing-handlers.ts';
import { withState } from './flux-state.ts';
import { inboxHandlers } from './inbox-handlers.ts';
import type { Handlers, RequestContext } from './router.ts';

export interface HandlerDeps {
  port: Workbench;
  capabilities: Capabilities;
  health: { current(): HealthSummary; refresh(): HealthSummary };
  /** Records what the engine said about contexts (the health summary counts connected ones). */
  noteClusters(infos: ClusterInfo[]): void;
  broadcast<E extends EventChannel>(channel: E, payload: EventOf<E>): void;
  now?: () => Date;
}

export function createHandlers(deps: HandlerDeps): Handlers {
  const now = deps.now ?? (() => new Date());

  const progress = (actionId: string, key: FluxKey, phase: ActionPhase, message: string): void =>
    deps.broadcast('actions:onProgress', { actionId, key, phase, message, at: now().toISOString() });

  /** One action request: what it is, the id the renderer gave it and the object it acts on. */
  interface ActionRequest {
    action: ActionKind;
    actionId: string;
    key: FluxKey;
  }

  async function runAction(
    { action, actionId, key }: ActionRequest,
    ctx: RequestContext,
    run: (opts: ActionOptions) => Promise<EngineOutcome>,
  ): Promise<ActionOutcome> {
    const started = performance.now();
    progress(actionId, key, 'requested', `${action} requested for ${key.kind} ${key.namespace}/${key.name}`);
    try {
      const out = await run({
        signal: ctx.signal,
        onProgress: (step) => progress(actionId, key, step.phase, step.message),
      });
      progress(actionId, key, out.ok ? 'succeeded' : 'failed', out.message);
      return {
        actionId,
        key,
        action,
        ok: out.ok,
        message: out.message,
        ...(out.revision !== undefined && { revision: out.revision }),
        durationMs: Math.round(performance.now() - started),
      };
    } catch (err) {
      progress(actionId, key, 'failed', err instanceof Error ? err.message : String(err));
      throw err;
    }
  }

  const noted = (info: ClusterInfo): ClusterInfo => {
    deps.noteClusters([info]);
    return info;
  };

  return {
    'app:capabilities': () => Promise.resolve(deps.capabilities),
    'app:health': () => Promise.resolve(deps.health.current()),
    'clusters:list': async () => {
      const infos = await deps.port.listClusters();
      deps.noteClusters(infos);
      return infos;
    },
    'clusters:connect': async ({ cluster }) => noted(await deps.port.connect(cluster)),
    'clusters:disconnect': async ({ cluster }) => noted(await deps.port.disconnect(cluster)),
    'graph:snapshot': () => {
      const snap = deps.port.snapshot();
      return Promise.resolve({ objects: snap.objects.map(withState), workloads: snap.workloads });
    },
    'objects:get': async ({ key }) => {
      const live = await deps.port.getObject(key);
      const snap = deps.port.snapshot();
      const same = (o: { cluster: string; kind: string; namespace: string; name: string; group: string }): boolean =>
        o.cluster === key.cluster &&
        o.group === key.group &&
        o.kind === key.kind &&
        o.namespace === key.namespace &&
        o.name === key.name;
      const flux = snap.objects.find(same);
      const workload = snap.workloads.find(same);
      return { key, ...live, ...(flux && { flux: withState(flux) }), ...(workload && { workload }) };
    },
    'flux:reconcile': ({ actionId, key, withSource }, ctx) =>
      runAction({ action: withSource ? 'reconcile-with-source' : 'reconcile', actionId, key }, ctx, (opts) =>
        deps.port.reconcile(key, { ...opts, withSource }),
      ),
    'flux:suspend': ({ actionId, key, reason }, ctx) =>
      runAction({ action: 'suspend', actionId, key }, ctx, (opts) =>
        deps.port.suspend(key, { ...opts, ...(reason !== undefined && { reason }) }),
      ),
    'flux:resume': ({ actionId, key }, ctx) =>
      runAction({ action: 'resume', actionId, key }, ctx, (opts) => deps.port.resume(key, opts)),
    'flux:diff': ({ key }) => deps.port.diffKustomization(key),
    'helm:release': ({ key }, ctx) => deps.port.helmReleases.view(key, ctx.signal),
    'images:policy': ({ key }, ctx) => deps.port.images.policy(key, ctx.signal),
    'images:automation': ({ key }, ctx) => deps.port.images.automation(key, ctx.signal),
    'images:preview': ({ key }, ctx) => deps.port.images.preview(key, ctx.signal),
    'images:fleet': () => Promise.resolve({ images: deps.port.images.fleet() }),
    'helm:rollbackPreview': ({ key, revision }, ctx) =>
      deps.port.helmReleases.rollbackPreview(key, revision, ctx.signal),
    'helm:forceUpgrade': ({ actionId, key }, ctx) =>
      runAction({ action: 'force-upgrade', actionId, key }, ctx, (opts) =>
        deps.port.helmReleases.forceUpgrade(key, opts),
      ),
    'helm:reset': ({ actionId, key }, ctx) =>
      runAction({ action: 'reset', actionId, key }, ctx, (opts) => deps.port.helmReleases.reset(key, opts)),
    'helm:test': ({ actionId, key }, ctx) =>
      runAction({ action: 'test', actionId, key }, ctx, (opts) => deps.port.helmReleases.test(key, opts)),
    'helm:rollback': ({ actionId, key, revision }, ctx) =>
      runAction({ action: 'rollback', actionId, key }, ctx, (opts) =>
        deps.port.helmReleases.rollback(key, revision, opts),
      ),
    'helm:uninstall': ({ actionId, key, suspendKustomization }, ctx) =>
      runAction({ action: 'uninstall', actionId, key }, ctx, (opts) =>
        deps.port.helmReleases.uninstall(key, { ...opts, suspendKustomization }),
      ),
    'engine:setPaused': async ({ paused }) => {
      await deps.port.setPaused(paused);
      return deps.health.refresh();
    },
    'engine:stats': () => Promise.resolve(deps.port.stats()),
    ...inboxHandlers(deps.port),
    'notifications:overview': () => deps.port.notifications.overview(),
    'notifications:sendTest': ({ provider }) => deps.port.notifications.sendTest(provider),
    'notifications:setSettings': ({ settings }) => deps.port.notifications.setSettings(settings),
    ...editingHandlers(deps.port, (channel, payload) => deps.broadcast(channel, payload)),
    ...bootstrapHandlers(deps.port, (channel, payload) => deps.broadcast(channel, payload), now),
  };
}
