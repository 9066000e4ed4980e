/**
 * Flux's notification-controller event path for our own controllers: every `flux.event` on the bus is put in
 * Flux's event shape, rate limited (duplicates dropped for 5 min), matched against the cluster's Alerts and sent by
 * each matching Alert's Provider. Sends to one Provider go out one after another in event order, so a Provider that
 * recovers gets each event once; every send is kept in a per-Provider delivery log (time, status, latency, error).
 */
import type { FluxEvent, NotificationEvent } from '../flux/events.ts';
import { fluxKinds } from '../flux/kinds.ts';
import { type Alert, COMMIT_STATUS_PROVIDERS, type Provider } from '../flux/notification.ts';
import type { ClusterClient } from '../kube/cluster-client.ts';
import { decodeSecretData, type SecretObject } from '../kube/secrets.ts';
import { errorMessage } from '../util/errors.ts';
import type { KubeObject } from '../util/kube-object.ts';
import type { Logger } from '../util/logger.ts';
import { alertsForEvent, type AlertWarning, eventForAlert } from './alert-matching.ts';
import { createEventRateLimiter, type EventRateLimiter } from './event-rate-limit.ts';
import { eventRevision, rfc3339Seconds, toNotificationEvent } from './notification-event.ts';
import { deliver, type DeliveryOptions } from './providers/http-delivery.ts';
import { buildProviderRequest, type ProviderRequest } from './providers/provider-request.ts';
import { providerSettings, providerTimeoutMs } from './providers/provider-settings.ts';

const CONTROLLER = 'notification-controller';

export interface DispatchSession {
  readonly context: string;
  readonly client: Pick<ClusterClient, 'list' | 'tryGet' | 'createEvent'>;
}

export interface DispatcherEvents {
  on(type: 'flux.event', listener: (e: FluxEvent) => void): () => void;
}

export interface DeliveryRecord {
  time: string;
  cluster: string;
  provider: { namespace: string; name: string; type: string };
  alert: { namespace: string; name: string };
  event: { kind: string; namespace: string; name: string; reason: string; severity: string };
  ok: boolean;
  status?: number;
  latencyMs: number;
  attempts: number;
  error?: string;
  /** A synthetic event sent by `sendTest` (no Alert sent it). */
  test?: boolean;
}

export interface AlertDispatcherOptions {
  events: DispatcherEvents;
  session(context: string): DispatchSession | undefined;
  logger: Logger;
  rateLimitIntervalMs?: number;
  /** How long a cluster's Alerts, Providers and Secrets are reused before being read again (default 1 s). */
  configTtlMs?: number;
  /** Backoff and retries (tests shorten them); the timeout always comes from the Provider. */
  delivery?: Omit<DeliveryOptions, 'timeoutMs' | 'ca' | 'secrets'>;
  /** Deliveries kept per Provider (default 50). */
  logSize?: number;
}

export interface AlertDispatcher {
  /** Routes one event; resolves when its deliveries are queued (use `idle()` to wait for them to finish). */
  dispatch(event: FluxEvent): Promise<void>;
  /** The latest deliveries of a Provider, newest last. */
  deliveries(cluster: string, namespace: string, name: string): DeliveryRecord[];
  onDelivery(listener: (d: DeliveryRecord) => void): () => void;
  /**
   * Sends a synthetic Flux event (info, reason `TestEvent`, about the Provider itself) through this Provider only,
   * queued behind its other sends and kept in its log; resolves with the delivery. Rejects when the cluster is not
   * connected or the Provider does not exist.
   */
  sendTest(cluster: string, namespace: string, name: string): Promise<DeliveryRecord>;
  /** Resolves when every queued delivery has finished. */
  idle(): Promise<void>;
  stop(): void;
}

interface ClusterConfig {
  at: number;
  alerts: Alert[];
  providers: Map<string, Provider>;
  secrets: Map<string, Promise<Record<string, string> | undefined>>;
}

const TEST_REASON = 'TestEvent';

/** The event "send test event" sends: Flux's shape, about the Provider itself. */
function testEvent(provider: Provider): NotificationEvent {
  const namespace = provider.metadata.namespace ?? '';
  const name = provider.metadata.name ?? '';
  return {
    involvedObject: {
      apiVersion: provider.apiVersion,
      kind: 'Provider',
      namespace,
      name,
      ...(provider.metadata.uid ? { uid: provider.metadata.uid } : {}),
    },
    severity: 'info',
    timestamp: rfc3339Seconds(new Date().toISOString()),
    message: `Test event from Fluxdeck to Provider ${namespace}/${name}`,
    reason: TEST_REASON,
    reportingController: 'fluxdeck',
  };
}

const nsName = (o: KubeObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;

export function startAlertDispatcher(opts: AlertDispatcherOptions): AlertDispatcher {
  return new Dispatcher(opts);
}

type LabelLookup = (o: NotificationEvent['involvedObject']) => Record<string, string> | undefined;

interface Prepared {
  session: DispatchSession;
  config: ClusterConfig;
  alert: Alert;
  provider: Provider;
  event: NotificationEvent;
}

class Dispatcher implements AlertDispatcher {
  readonly #opts: AlertDispatcherOptions;
  readonly #limiters = new Map<string, EventRateLimiter>();
  readonly #configs = new Map<string, Promise<ClusterConfig>>();
  readonly #queues = new Map<string, Promise<void>>();
  readonly #logs = new Map<string, DeliveryRecord[]>();
  readonly #listeners = new Set<(d: DeliveryRecord) => void>();
  readonly #pending = new Set<Promise<unknown>>();
  readonly #off: () => void;
  #stopped = false;

  constructor(opts: AlertDispatcherOptions) {
    this.#opts = opts;
    this.#off = opts.events.on('flux.event', (e) => {
      this.#track(
        this.dispatch(e).catch((err: unknown) =>
          opts.logger.warn('event dispatch failed', { cluster: e.cluster, error: errorMessage(err) }),
        ),
      );
    });
  }

  async dispatch(e: FluxEvent): Promise<void> {
    if (this.#stopped) return;
    const session = this.#opts.session(e.cluster);
    if (!session) return;
    const event = toNotificationEvent(e);
    if (!this.#limiter(e.cluster).admit(event)) return;
    let config: ClusterConfig;
    try {
      config = await this.#config(session);
    } catch (err) {
      // No Flux notification CRDs, or no access: nothing to send.
      this.#opts.logger.debug('alerts not readable', { cluster: e.cluster, error: errorMessage(err) });
      return;
    }
    const match = alertsForEvent(config.alerts, event, await this.#labelsOf(session, event, config.alerts));
    for (const w of match.warnings) this.#warnFor(session, config, w);
    await Promise.all(match.alerts.map((alert) => this.#send(session, config, alert, event)));
  }

  deliveries(cluster: string, namespace: string, name: string): DeliveryRecord[] {
    return [...(this.#logs.get(`${cluster}/${namespace}/${name}`) ?? [])];
  }

  onDelivery(listener: (d: DeliveryRecord) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async sendTest(cluster: string, namespace: string, name: string): Promise<DeliveryRecord> {
    const session = this.#opts.session(cluster);
    if (!session) throw new Error(`cluster ${cluster} is not connected`);
    // Read again: the user may just have created or fixed the Provider.
    this.#configs.delete(cluster);
    const config = await this.#config(session);
    const provider = config.providers.get(`${namespace}/${name}`);
    if (!provider) throw new Error(`Provider '${namespace}/${name}' not found in ${cluster}`);
    const alert: Alert = {
      apiVersion: 'notification.toolkit.fluxcd.io/v1beta3',
      kind: 'Alert',
      metadata: { namespace, name: '' },
      spec: { providerRef: { name }, eventSources: [] },
    };
    const event = testEvent(provider);
    return new Promise((resolve, reject) => {
      this.#deliver({ session, config, alert, provider, event }, resolve).catch(reject);
    });
  }

  async idle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  stop(): void {
    this.#stopped = true;
    this.#off();
  }

  #track(p: Promise<unknown>): void {
    this.#pending.add(p);
    p.finally(() => this.#pending.delete(p)).catch(() => undefined);
  }

  #limiter(cluster: string): EventRateLimiter {
    let l = this.#limiters.get(cluster);
    if (!l) {
      const interval = this.#opts.rateLimitIntervalMs;
      l = createEventRateLimiter(interval !== undefined ? { intervalMs: interval } : {});
      this.#limiters.set(cluster, l);
    }
    return l;
  }

  async #config(session: DispatchSession): Promise<ClusterConfig> {
    const cached = this.#configs.get(session.context);
    if (cached) {
      const c = await cached.catch(() => undefined);
      if (c && Date.now() - c.at < (this.#opts.configTtlMs ?? 1000)) return c;
    }
    const next = (async (): Promise<ClusterConfig> => {
      const [alerts, providers] = await Promise.all([
        session.client.list<Alert>(fluxKinds.Alert),
        session.client.list<Provider>(fluxKinds.Provider),
      ]);
      return {
        at: Date.now(),
        alerts: alerts.items,
        providers: new Map(providers.items.map((p) => [nsName(p), p])),
        secrets: new Map(),
      };
    })();
    this.#configs.set(session.context, next);
    return next;
  }

  #secret(p: Prepared, name: string): Promise<Record<string, string> | undefined> {
    const namespace = p.alert.metadata.namespace ?? '';
    const key = `${namespace}/${name}`;
    let s = p.config.secrets.get(key);
    if (!s) {
      s = p.session.client
        .tryGet<SecretObject>({ apiVersion: 'v1', kind: 'Secret', namespace, name })
        .then((o) => o && decodeSecretData(o));
      p.config.secrets.set(key, s);
    }
    return s;
  }

  #warn(session: DispatchSession, alert: Alert, reason: string, message: string): void {
    session.client
      .createEvent(alert, { type: 'Warning', reason, message, reportingController: CONTROLLER })
      .catch((err: unknown) => this.#opts.logger.warn('could not record alert event', { error: errorMessage(err) }));
  }

  #warnFor(session: DispatchSession, config: ClusterConfig, w: AlertWarning): void {
    const alert = config.alerts.find(
      (a) => a.metadata.namespace === w.alert.namespace && a.metadata.name === w.alert.name,
    );
    if (alert) this.#warn(session, alert, w.reason, w.message);
  }

  async #labelsOf(session: DispatchSession, event: NotificationEvent, alerts: Alert[]): Promise<LabelLookup> {
    const kind = event.involvedObject.kind;
    if (!alerts.some((a) => a.spec.eventSources.some((s) => s.matchLabels && s.kind === kind))) return () => ({});
    const o = event.involvedObject;
    const obj = await session.client
      .tryGet({ apiVersion: o.apiVersion, kind: o.kind, namespace: o.namespace, name: o.name })
      .catch(() => undefined);
    return () => (obj ? (obj.metadata.labels ?? {}) : undefined);
  }

  #record(key: string, d: DeliveryRecord): void {
    const log = this.#logs.get(key) ?? [];
    log.push(d);
    const size = this.#opts.logSize ?? 50;
    if (log.length > size) log.splice(0, log.length - size);
    this.#logs.set(key, log);
    for (const l of this.#listeners) l(d);
  }

  /** One send at a time per Provider, in event order. */
  #enqueue(key: string, work: () => Promise<void>): void {
    const next = (this.#queues.get(key) ?? Promise.resolve()).then(work, work);
    this.#queues.set(key, next);
    this.#track(
      next.finally(() => {
        if (this.#queues.get(key) === next) this.#queues.delete(key);
      }),
    );
  }

  async #send(session: DispatchSession, config: ClusterConfig, alert: Alert, event: NotificationEvent): Promise<void> {
    const namespace = alert.metadata.namespace ?? '';
    const provider = config.providers.get(`${namespace}/${alert.spec.providerRef.name}`);
    if (!provider) {
      const msg = `failed to read provider: Provider '${namespace}/${alert.spec.providerRef.name}' not found`;
      this.#warn(session, alert, 'NotificationDispatchFailed', msg);
      return;
    }
    if (provider.spec.suspend) return;
    // Commit statuses need the commit: events without a revision are dropped for those providers.
    if (COMMIT_STATUS_PROVIDERS.includes(provider.spec.type) && !eventRevision(event)) return;
    const prepared = eventForAlert(event, alert);
    if (prepared.warning) this.#warn(session, alert, prepared.warning.reason, prepared.warning.message);
    await this.#deliver({ session, config, alert, provider, event: prepared.event });
  }

  /** `test` is set for `sendTest`: no Warning events on the (synthetic) Alert, and it gets the record. */
  async #deliver(p: Prepared, test?: (d: DeliveryRecord) => void): Promise<void> {
    const { session, alert, provider, event } = p;
    const namespace = alert.metadata.namespace ?? '';
    const ref = provider.spec.secretRef;
    const certRef = provider.spec.certSecretRef;
    const proxyRef = provider.spec.proxySecretRef;
    const [data, cert, proxySecret] = await Promise.all([
      ref ? this.#secret(p, ref.name) : undefined,
      certRef ? this.#secret(p, certRef.name) : undefined,
      proxyRef ? this.#secret(p, proxyRef.name) : undefined,
    ]);
    const key = `${session.context}/${namespace}/${provider.metadata.name ?? ''}`;
    const o = event.involvedObject;
    const base = {
      cluster: session.context,
      provider: { namespace, name: provider.metadata.name ?? '', type: provider.spec.type },
      alert: { namespace, name: alert.metadata.name ?? '' },
      event: { kind: o.kind, namespace: o.namespace, name: o.name, reason: event.reason, severity: event.severity },
      ...(test ? { test: true } : {}),
    };
    const record = (d: DeliveryRecord): void => {
      this.#record(key, d);
      test?.(d);
    };
    const failed = (error: string): void => {
      if (test) return;
      this.#warn(
        session,
        alert,
        'NotificationDispatchFailed',
        `failed to send notification for ${o.kind}/${o.namespace}/${o.name}: ${error}`,
      );
    };
    const refuse = (error: string): void => {
      record({ ...base, time: new Date().toISOString(), ok: false, latencyMs: 0, attempts: 0, error });
      failed(error);
    };
    if (ref && !data) return refuse(`failed to get secret '${namespace}/${ref.name}': not found`);
    const ca = cert?.['ca.crt'];
    if (certRef && !ca) return refuse(`failed to get TLS config: secret '${namespace}/${certRef.name}' has no ca.crt`);
    if (proxyRef && !proxySecret) return refuse(`failed to get secret '${namespace}/${proxyRef.name}': not found`);
    let request: ProviderRequest | undefined;
    let token: string | undefined;
    let proxy: string | undefined;
    try {
      const settings = providerSettings(provider, data, event, proxySecret);
      token = settings.token;
      proxy = settings.proxy;
      request = buildProviderRequest(event, settings);
    } catch (err) {
      return refuse(errorMessage(err));
    }
    if (!request)
      return test ? refuse(`a ${provider.spec.type} Provider skips this event (no commit to report on)`) : undefined;
    const req = request;
    this.#enqueue(key, async () => {
      const time = new Date().toISOString();
      const out = await deliver(req, {
        ...this.#opts.delivery,
        timeoutMs: providerTimeoutMs(provider),
        ...(ca ? { ca } : {}),
        ...(proxy ? { proxy } : {}),
        ...(token ? { secrets: [token] } : {}),
      });
      record({
        ...base,
        time,
        ok: out.ok,
        ...(out.status !== undefined ? { status: out.status } : {}),
        latencyMs: out.latencyMs,
        attempts: out.attempts,
        ...(out.error ? { error: out.error } : {}),
      });
      if (!out.ok) failed(out.error ?? '');
    });
  }
}
