import type { AuthHealth, AuthHealthRegistry } from '../kube/auth-health.ts';
import { type ClusterClient, createClusterClient } from '../kube/cluster-client.ts';
import { errorFromResponse } from '../kube/kube-error.ts';
import { authMethodOf, type Kubeconfig, type LoadedKubeconfig, resolveContext } from '../kube/kubeconfig.ts';
import type { KubeconfigStore } from '../kube/kubeconfig-store.ts';
import { errorMessage } from '../util/errors.ts';
import type { Logger } from '../util/logger.ts';
import { displayUrl } from '../util/redact.ts';
import { type CacheFactory, ClusterSession, type SessionStatus } from './cluster-session.ts';
import type { Disposer } from './disposables.ts';

/**
 * Every kubeconfig context, and the sessions of the connected ones. Connection is lazy: listing contexts reads only
 * the kubeconfig files; nothing talks to a cluster until `connect`. Plugins (controllers, leader election, observe
 * mode) attach to each session as it connects and are disposed with it.
 */

export interface ContextInfo {
  name: string;
  cluster: string;
  user: string;
  namespace: string;
  server: string;
  /** The kubeconfig file the context came from. */
  file: string;
  authMethod: string;
  authHealth?: AuthHealth;
  session?: SessionStatus;
}

export interface SessionPlugin {
  name: string;
  /** Runs when a session connects; what it returns is disposed when the session ends. */
  start(session: ClusterSession): Promise<Disposer | undefined> | Disposer | undefined;
}

export interface ClusterRegistryOptions {
  kubeconfigs: KubeconfigStore;
  createCache: CacheFactory;
  health: AuthHealthRegistry;
  logger: Logger;
  plugins?: SessionPlugin[];
  /** Builds the client of a context (tests may pass a different user agent); defaults to main/kube's. */
  createClient?: (config: Kubeconfig, context: string) => ClusterClient;
}

export class ClusterRegistry {
  private readonly sessions = new Map<string, ClusterSession>();
  private readonly pending = new Map<string, Promise<ClusterSession>>();
  private readonly listeners = new Set<() => void>();
  private readonly o: ClusterRegistryOptions;
  private readonly unsubscribe: (() => void)[] = [];
  private signatures = new Map<string, string>();

  constructor(opts: ClusterRegistryOptions) {
    this.o = opts;
    this.signatures = contextSignatures(opts.kubeconfigs.current());
    this.unsubscribe.push(
      opts.kubeconfigs.onChange((loaded) => {
        this.onKubeconfigChange(loaded).catch((err: unknown) =>
          opts.logger.warn('kubeconfig change handling failed', { error: errorMessage(err) }),
        );
      }),
      opts.health.onChange(() => this.changed()),
    );
  }

  /** Every context of the merged kubeconfigs, with auth health and session state. */
  contexts(): ContextInfo[] {
    const { config } = this.o.kubeconfigs.current();
    return [...config.contexts.values()].map((ctx) => {
      const cluster = config.clusters.get(ctx.cluster);
      const user = config.users.get(ctx.user);
      return {
        name: ctx.name,
        cluster: ctx.cluster,
        user: ctx.user,
        namespace: ctx.namespace ?? 'default',
        server: cluster?.server ?? '',
        file: config.contextFiles.get(ctx.name) ?? '',
        authMethod: user ? authMethodOf(user) : 'none',
        authHealth: this.o.health.get(ctx.name),
        session: this.sessions.get(ctx.name)?.status,
      };
    });
  }

  /** Problems reading kubeconfig files (a broken file does not hide the others' contexts). */
  problems(): LoadedKubeconfig['problems'] {
    return this.o.kubeconfigs.current().problems;
  }

  session(context: string): ClusterSession | undefined {
    return this.sessions.get(context);
  }

  connected(): ClusterSession[] {
    return [...this.sessions.values()];
  }

  /** Called when contexts, health or a session's state change (the api layer pushes a delta). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Connects a context (idempotent). Checks the apiserver answers before the plugins start. */
  connect(context: string): Promise<ClusterSession> {
    const existing = this.sessions.get(context);
    if (existing) return Promise.resolve(existing);
    let p = this.pending.get(context);
    if (!p) {
      p = this.open(context).finally(() => this.pending.delete(context));
      this.pending.set(context, p);
    }
    return p;
  }

  async disconnect(context: string): Promise<void> {
    await this.pending.get(context)?.catch(() => undefined);
    const s = this.sessions.get(context);
    if (!s) return;
    this.sessions.delete(context);
    await s
      .close()
      .catch((err: unknown) => this.o.logger.warn('disconnect had errors', { context, error: errorMessage(err) }));
    this.changed();
  }

  async close(): Promise<void> {
    for (const u of this.unsubscribe.splice(0)) u();
    await Promise.all([...this.sessions.keys()].map((c) => this.disconnect(c)));
  }

  private async open(context: string): Promise<ClusterSession> {
    const { config } = this.o.kubeconfigs.current();
    const client = this.o.createClient
      ? this.o.createClient(config, context)
      : createClusterClient(resolveContext(config, context), { health: this.o.health });
    const logger = this.o.logger.child({ cluster: context });
    const session = new ClusterSession(context, client, this.o.createCache, logger);
    session.onStatus(() => this.changed());
    try {
      const res = await client.transport.request({
        method: 'GET',
        path: '/version',
        signal: AbortSignal.timeout(15_000),
      });
      if (res.status >= 400) throw errorFromResponse('GET /version', res.status, res.body);
      session.setStatus({ state: 'connected' });
      for (const plugin of this.o.plugins ?? []) {
        const dispose = await plugin.start(session);
        if (dispose) session.disposables.add(dispose);
      }
    } catch (err) {
      await session.close().catch(() => undefined);
      throw new Error(`cannot connect to context "${context}": ${errorMessage(err)}`, { cause: err });
    }
    this.sessions.set(context, session);
    this.changed();
    logger.info('connected', { server: displayUrl(client.server) });
    return session;
  }

  /** Reconnects sessions whose context changed (new server or user) and drops those whose context is gone. */
  private async onKubeconfigChange(loaded: LoadedKubeconfig): Promise<void> {
    const next = contextSignatures(loaded);
    for (const [context] of this.sessions) {
      const before = this.signatures.get(context);
      const after = next.get(context);
      if (after === before) continue;
      this.o.logger.info(after ? 'context changed; reconnecting' : 'context removed; disconnecting', { context });
      await this.disconnect(context);
      if (after)
        await this.connect(context).catch((err: unknown) =>
          this.o.logger.warn('reconnect failed', { context, error: errorMessage(err) }),
        );
    }
    this.signatures = next;
    this.changed();
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }
}

/** A comparable summary of what each context resolves to (never logged: it includes credentials). */
function contextSignatures(loaded: LoadedKubeconfig): Map<string, string> {
  const { config } = loaded;
  return new Map(
    [...config.contexts.values()].map((ctx) => [
      ctx.name,
      JSON.stringify([ctx, config.clusters.get(ctx.cluster), config.users.get(ctx.user)]),
    ]),
  );
}
