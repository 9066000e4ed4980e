/**
 * The Notifications view's data: each connected cluster's Providers, Alerts and Receivers with their health, the
 * Providers' last deliveries, "send test event", and the local notification settings (OS notification filter,
 * receiver server). Nothing secret leaves: a Provider's address is shown only from `spec.address`, and Secret values
 * are masked out of delivery errors.
 */
import {
  type AlertView,
  type ClusterNotifications,
  type Delivery,
  FluxdeckError,
  type NotificationSettings,
  type NotificationsOverview,
  type ProviderKey,
  type ProviderView,
  type ReceiverServerState,
  type ReceiverView,
} from '../contract/index.ts';
import { fluxKinds } from '../flux/kinds.ts';
import type { Alert, CrossNamespaceObjectReference, Provider, Receiver } from '../flux/notification.ts';
import type { ClusterClient } from '../kube/cluster-client.ts';
import { decodeSecretData, type SecretObject } from '../kube/secrets.ts';
import type { AlertDispatcher, DeliveryRecord } from '../notify/index.ts';
import { webhookPath } from '../notify/index.ts';
import { errorMessage } from '../util/errors.ts';
import type { SettingsFile } from './settings-file.ts';

/** The webhook receiver server, as create-fluxdeck.ts runs it. */
export interface ReceiverControl {
  /** `url` while running; who started it. */
  state(): { url?: string; startedBy?: 'setting' | 'flag' };
  /** Starts it on `HOST:PORT` for the setting; resolves with its URL. */
  start(address: string): Promise<string>;
  stop(): Promise<void>;
}

export interface NotificationViewsDeps {
  clusters(): { context: string; client: Pick<ClusterClient, 'list' | 'tryGet'> }[];
  alerts: Pick<AlertDispatcher, 'deliveries' | 'sendTest'>;
  receiver: ReceiverControl;
  settings: SettingsFile;
}

export interface NotificationsPort {
  overview(): Promise<NotificationsOverview>;
  sendTest(provider: ProviderKey): Promise<Delivery>;
  setSettings(
    settings: NotificationSettings,
  ): Promise<{ settings: NotificationSettings; receiverServer: ReceiverServerState }>;
  /** The settings in force (the desktop's notifier asks for each new item). */
  settings(): NotificationSettings;
  /** Starts the receiver server when the stored setting says so (the shells call it once at start). */
  applyStored(): Promise<ReceiverServerState>;
}

/** Secret values shorter than this are not masked: "1", "true" would mask half of every message. */
const MIN_MASKED = 4;

export function maskValues(text: string, values: readonly string[]): string {
  let out = text;
  for (const v of values) if (v.length >= MIN_MASKED) out = out.replaceAll(v, '*****');
  return out;
}

export function deliveryView(d: DeliveryRecord, secretValues: readonly string[]): Delivery {
  return {
    time: d.time,
    ok: d.ok,
    ...(d.status !== undefined && { status: d.status }),
    latencyMs: d.latencyMs,
    attempts: d.attempts,
    ...(d.error !== undefined && { error: maskValues(d.error, secretValues) }),
    event: d.event,
    ...(d.alert.name && { alert: d.alert.name }),
    test: d.test === true,
  };
}

/** A Provider's row: its health from suspend and the last delivery (v1beta3 Providers have no status). */
export function providerView(
  cluster: string,
  p: Provider,
  alerts: readonly Alert[],
  deliveries: Delivery[],
): ProviderView {
  const namespace = p.metadata.namespace ?? '';
  const name = p.metadata.name ?? '';
  const newest = deliveries[0];
  const suspended = p.spec.suspend === true;
  const failing = !suspended && newest !== undefined && !newest.ok;
  return {
    cluster,
    namespace,
    name,
    type: p.spec.type,
    ...(p.spec.address && { address: p.spec.address }),
    ...(p.spec.secretRef && { secretName: p.spec.secretRef.name }),
    ...(p.spec.channel && { channel: p.spec.channel }),
    health: suspended ? 'suspended' : failing ? 'failing' : 'ready',
    message: suspended
      ? 'Suspended: nothing is sent. Set spec.suspend to false to send again.'
      : failing
        ? `The last delivery failed: ${newest.error ?? `HTTP ${newest.status ?? '?'}`}. Check the address and the Secret, then send a test event.`
        : '',
    alerts: alerts
      .filter((a) => (a.metadata.namespace ?? '') === namespace && a.spec.providerRef.name === name)
      .map((a) => a.metadata.name ?? ''),
    deliveries,
  };
}

function sourceText(s: CrossNamespaceObjectReference): string {
  const labels = s.matchLabels
    ? `{${Object.entries(s.matchLabels)
        .map(([k, v]) => `${k}=${v}`)
        .join(',')}}`
    : '';
  return `${s.kind}/${s.namespace ? `${s.namespace}/` : ''}${s.name}${labels}`;
}

export function alertView(cluster: string, a: Alert, providers: readonly Provider[]): AlertView {
  const namespace = a.metadata.namespace ?? '';
  const providerName = a.spec.providerRef.name;
  const provider = providers.find((p) => p.metadata.namespace === namespace && p.metadata.name === providerName);
  const suspended = a.spec.suspend === true;
  return {
    cluster,
    namespace,
    name: a.metadata.name ?? '',
    provider: providerName,
    eventSeverity: a.spec.eventSeverity ?? 'info',
    sources: a.spec.eventSources.map(sourceText),
    inclusionList: a.spec.inclusionList ?? [],
    exclusionList: a.spec.exclusionList ?? [],
    health: suspended ? 'suspended' : provider ? 'ready' : 'failing',
    message: suspended
      ? 'Suspended: its events are not sent. Set spec.suspend to false to send again.'
      : provider
        ? ''
        : `Provider '${namespace}/${providerName}' not found: create it, or fix spec.providerRef.name.`,
  };
}

export function receiverView(
  cluster: string,
  r: Receiver,
  computedPath: string | undefined,
  baseUrl?: string,
): ReceiverView {
  const ready = r.status?.conditions?.find((c) => c.type === 'Ready');
  const path = r.status?.webhookPath ?? computedPath;
  const suspended = r.spec.suspend === true;
  const health = suspended ? 'suspended' : ready ? (ready.status === 'True' ? 'ready' : 'failing') : 'unknown';
  const message = suspended
    ? 'Suspended: hooks are answered 503. Set spec.suspend to false to take them again.'
    : health === 'failing'
      ? `${ready?.message ?? 'Not ready'}${r.spec.secretRef ? ` (check Secret ${r.spec.secretRef.name} has a token)` : ''}`
      : '';
  return {
    cluster,
    namespace: r.metadata.namespace ?? '',
    name: r.metadata.name ?? '',
    type: r.spec.type,
    events: r.spec.events ?? [],
    resources: r.spec.resources.map(sourceText),
    ...(path && { webhookPath: path }),
    ...(path && baseUrl && { url: `${baseUrl}${path}` }),
    health,
    message,
  };
}

function notInstalled(err: unknown): string {
  const msg = errorMessage(err);
  return /not found|could not find the requested resource|no matches for kind/i.test(msg)
    ? 'The Flux notification CRDs (Provider, Alert, Receiver) are not installed in this cluster: install Flux (or `fluxdeck install`) to use them.'
    : `Could not read Providers, Alerts and Receivers: ${msg}. Check the connection and that your account may list them.`;
}

/** A Secret's values (to mask them out of messages), or none when it cannot be read. */
async function secretValues(
  client: Pick<ClusterClient, 'tryGet'>,
  namespace: string,
  name: string | undefined,
): Promise<string[]> {
  if (!name) return [];
  const s = await client
    .tryGet<SecretObject>({ apiVersion: 'v1', kind: 'Secret', namespace, name })
    .catch(() => undefined);
  return s ? Object.values(decodeSecretData(s)).flatMap((v) => [v, v.trim()]) : [];
}

export function createNotificationViews(deps: NotificationViewsDeps): NotificationsPort {
  let startError: string | undefined;

  const receiverState = (): ReceiverServerState => {
    const s = deps.receiver.state();
    return {
      running: s.url !== undefined,
      ...(s.url !== undefined && { url: s.url }),
      ...(s.startedBy && { startedBy: s.startedBy }),
      ...(startError !== undefined && { error: startError }),
    };
  };

  const clusterView = async (
    context: string,
    client: Pick<ClusterClient, 'list' | 'tryGet'>,
    baseUrl: string | undefined,
  ): Promise<ClusterNotifications> => {
    try {
      const [providers, alerts, receivers] = await Promise.all([
        client.list<Provider>(fluxKinds.Provider),
        client.list<Alert>(fluxKinds.Alert),
        client.list<Receiver>(fluxKinds.Receiver),
      ]);
      const providerViews = await Promise.all(
        providers.items.map(async (p) => {
          const ns = p.metadata.namespace ?? '';
          const records = deps.alerts.deliveries(context, ns, p.metadata.name ?? '');
          const masked = records.some((d) => d.error) ? await secretValues(client, ns, p.spec.secretRef?.name) : [];
          const deliveries = records.map((d) => deliveryView(d, masked)).reverse();
          return providerView(context, p, alerts.items, deliveries);
        }),
      );
      const receiverViews = await Promise.all(
        receivers.items.map(async (r) => {
          const ns = r.metadata.namespace ?? '';
          let computed: string | undefined;
          if (!r.status?.webhookPath && r.spec.secretRef) {
            const s = await client
              .tryGet<SecretObject>({ apiVersion: 'v1', kind: 'Secret', namespace: ns, name: r.spec.secretRef.name })
              .catch(() => undefined);
            const token = s ? decodeSecretData(s).token : undefined;
            // The path is public (Flux writes it to status); the token it hashes stays here.
            if (token) computed = webhookPath(token, r.metadata.name ?? '', ns);
          }
          return receiverView(context, r, computed, baseUrl);
        }),
      );
      return {
        cluster: context,
        providers: providerViews,
        alerts: alerts.items.map((a) => alertView(context, a, providers.items)),
        receivers: receiverViews,
      };
    } catch (err) {
      return { cluster: context, providers: [], alerts: [], receivers: [], error: notInstalled(err) };
    }
  };

  const applyReceiver = async (setting: NotificationSettings['receiver']): Promise<void> => {
    const s = deps.receiver.state();
    // `--receiver-addr` wins: the setting neither stops nor moves a server the command line started.
    if (s.startedBy === 'flag') return;
    const want = setting.enabled ? setting.address : undefined;
    const running = s.url !== undefined;
    if (running && want !== undefined && s.url?.endsWith(`//${want}`)) return;
    if (running) await deps.receiver.stop();
    startError = undefined;
    if (want === undefined) return;
    try {
      await deps.receiver.start(want);
    } catch (err) {
      startError = `The receiver server could not listen on ${want}: ${errorMessage(err)}. Pick another address (a free port, or 127.0.0.1:0).`;
    }
  };

  return {
    async overview() {
      const baseUrl = deps.receiver.state().url;
      const clusters = await Promise.all(deps.clusters().map((c) => clusterView(c.context, c.client, baseUrl)));
      return {
        clusters: clusters.sort((a, b) => a.cluster.localeCompare(b.cluster)),
        receiverServer: receiverState(),
        settings: deps.settings.current().notifications,
      };
    },

    async sendTest({ cluster, namespace, name }) {
      const session = deps.clusters().find((c) => c.context === cluster);
      if (!session)
        throw new FluxdeckError(
          'not-connected',
          `Cluster ${cluster} is not connected: connect it in the sidebar first.`,
        );
      const provider = await session.client
        .tryGet<Provider>({ apiVersion: fluxKinds.Provider.apiVersion, kind: 'Provider', namespace, name })
        .catch((err: unknown) => {
          throw new FluxdeckError('unavailable', notInstalled(err), { cause: err });
        });
      if (!provider)
        throw new FluxdeckError('not-found', `Provider ${namespace}/${name} does not exist in ${cluster} (any more).`);
      if (provider.spec.suspend)
        throw new FluxdeckError('suspended', `Provider ${namespace}/${name} is suspended: resume it to send events.`);
      const record = await deps.alerts.sendTest(cluster, namespace, name);
      const masked = record.error ? await secretValues(session.client, namespace, provider.spec.secretRef?.name) : [];
      return deliveryView(record, masked);
    },

    async setSettings(settings) {
      await deps.settings.save({ ...deps.settings.current(), notifications: settings });
      await applyReceiver(settings.receiver);
      return { settings, receiverServer: receiverState() };
    },

    settings: () => deps.settings.current().notifications,

    async applyStored() {
      await applyReceiver(deps.settings.current().notifications.receiver);
      return receiverState();
    },
  };
}
