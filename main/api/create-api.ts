/**
 * Binds the contract to an engine: the router for requests, the push hub for events and the health monitor for the
 * tray. Both shells (main/electron and main/headless) start from this, so they behave the same.
 */
import type { AppCommand, Capabilities, ClusterInfo, HealthSummary } from '../contract/index.ts';
import type { Logger } from '../util/logger.ts';
import type { EngineChange, EnginePort } from './engine-port.ts';
import { withState } from './flux-state.ts';
import { createHandlers } from './handlers.ts';
import { createHealthMonitor } from './health-monitor.ts';
import { type BatchLimits, createPushHub, type PushSink } from './push-hub.ts';
import { createRouter, type Router } from './router.ts';

export interface ApiOptions {
  port: EnginePort;
  capabilities: Capabilities;
  logger: Logger;
  limits?: BatchLimits;
  healthIntervalMs?: number;
  /** Validate responses against the contract too (tests and development). */
  checkResponses?: boolean;
}

export interface FluxdeckApiServer {
  router: Router;
  /** Starts pushing events to a client; returns the detach function. */
  attach(sink: PushSink): () => void;
  health(): HealthSummary;
  onHealth(listener: (h: HealthSummary) => void): () => void;
  /** Forwards a menu or tray command to every window. */
  command(command: AppCommand['command']): void;
  readonly clients: number;
  /** Stops listening to the engine and detaches every client. Does not stop the engine. */
  close(): void;
}

export function createApi(opts: ApiOptions): FluxdeckApiServer {
  const { port, logger } = opts;
  const hub = createPushHub({ logger, ...(opts.limits && { limits: opts.limits }) });
  const clusters = new Map<string, ClusterInfo>();
  const connected = (): number => [...clusters.values()].filter((c) => c.state === 'connected').length;
  const health = createHealthMonitor(port, connected, opts.healthIntervalMs);
  const noteClusters = (infos: ClusterInfo[]): void => {
    for (const info of infos) clusters.set(info.name, info);
    health.invalidate();
  };

  const onChange = (change: EngineChange): void => {
    switch (change.type) {
      case 'object':
        hub.graph({ type: 'object', object: withState(change.object) });
        break;
      case 'workload':
        hub.graph({ type: 'workload', workload: change.workload });
        break;
      case 'removed':
        hub.graph({ type: 'removed', removal: { what: change.what, uid: change.uid, cluster: change.cluster } });
        break;
      case 'cluster':
        clusters.set(change.cluster.name, change.cluster);
        hub.cluster(change.cluster);
        break;
      case 'engine':
        break;
    }
    health.invalidate();
  };
  const unsubscribe = port.subscribe(onChange);
  const offHealth = health.onChange((h) => hub.broadcast('app:onHealth', h));
  port
    .listClusters()
    .then(noteClusters, (err: unknown) =>
      logger.warn('could not list kubeconfig contexts for the health summary', { error: err }),
    );

  const handlers = createHandlers({
    port,
    capabilities: opts.capabilities,
    health,
    noteClusters,
    broadcast: (channel, payload) => hub.broadcast(channel, payload),
  });

  return {
    router: createRouter(handlers, { logger, ...(opts.checkResponses && { checkResponses: true }) }),
    attach: (sink) => hub.attach(sink),
    health: () => health.current(),
    onHealth: (listener) => health.onChange(listener),
    command: (command) => hub.broadcast('app:onCommand', { command }),
    get clients() {
      return hub.clients;
    },
    close() {
      unsubscribe();
      offHealth();
      health.dispose();
      hub.close();
    },
  };
}
