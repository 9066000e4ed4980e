/**
 * Flux's notification API as the Notifications view sees it: the Providers, Alerts and Receivers of every connected
 * cluster with their health, each Provider's last deliveries, "send test event", and the local notification settings
 * (which inbox items raise OS notifications, and the webhook receiver server). A Provider's address is shown only
 * when it is in `spec.address`: an address, token or headers from a Secret never leave main.
 */
import { z } from 'zod';

import { ClusterName, Kind, Name, Namespace } from './model.ts';

const count = z.number().int().nonnegative();

/** One send to a Provider (main/notify/alert-dispatcher.ts keeps the last 50 per Provider). */
export const Delivery = z.object({
  time: z.string(),
  ok: z.boolean(),
  /** The HTTP status of the last attempt, when a response came back. */
  status: z.number().int().optional(),
  latencyMs: z.number().nonnegative(),
  attempts: count,
  /** Secret values (token, an address from a Secret) are masked. */
  error: z.string().optional(),
  event: z.object({
    kind: z.string(),
    namespace: z.string(),
    name: z.string(),
    reason: z.string(),
    severity: z.string(),
  }),
  /** The Alert that sent it; absent for a test event. */
  alert: z.string().optional(),
  test: z.boolean(),
});
export type Delivery = z.infer<typeof Delivery>;

/** Ready, suspended, or failing (the last delivery failed, a reference is missing, a Receiver is not Ready). */
export const NotificationHealth = z.enum(['ready', 'suspended', 'failing', 'unknown']);
export type NotificationHealth = z.infer<typeof NotificationHealth>;

export const ProviderView = z.object({
  cluster: z.string(),
  namespace: z.string(),
  name: z.string(),
  type: z.string(),
  /** `spec.address` only. */
  address: z.string().optional(),
  /** The Secret the address (or token, headers) comes from: shown as "from Secret <name>". */
  secretName: z.string().optional(),
  channel: z.string().optional(),
  health: NotificationHealth,
  /** What is wrong and what to do next; empty when ready. */
  message: z.string(),
  /** The Alerts sending to it. */
  alerts: z.array(z.string()),
  /** Newest first. */
  deliveries: z.array(Delivery),
});
export type ProviderView = z.infer<typeof ProviderView>;

export const AlertView = z.object({
  cluster: z.string(),
  namespace: z.string(),
  name: z.string(),
  provider: z.string(),
  eventSeverity: z.string(),
  /** `Kind/name` or `Kind/namespace/name`, with `{labels}` when matchLabels is set. */
  sources: z.array(z.string()),
  inclusionList: z.array(z.string()),
  exclusionList: z.array(z.string()),
  health: NotificationHealth,
  message: z.string(),
});
export type AlertView = z.infer<typeof AlertView>;

export const ReceiverView = z.object({
  cluster: z.string(),
  namespace: z.string(),
  name: z.string(),
  type: z.string(),
  events: z.array(z.string()),
  resources: z.array(z.string()),
  /** `status.webhookPath` (`/hook/<sha256>`), or the path the receiver server computes from the token. */
  webhookPath: z.string().optional(),
  /** The full URL when the receiver server is on. */
  url: z.string().optional(),
  health: NotificationHealth,
  message: z.string(),
});
export type ReceiverView = z.infer<typeof ReceiverView>;

export const ClusterNotifications = z.object({
  cluster: z.string(),
  providers: z.array(ProviderView),
  alerts: z.array(AlertView),
  receivers: z.array(ReceiverView),
  /** Could not read the cluster's notification objects (no CRDs, RBAC): what happened and what to do. */
  error: z.string().optional(),
});
export type ClusterNotifications = z.infer<typeof ClusterNotifications>;

/** A regular expression that compiles (Flux's RE2 patterns mean the same in JavaScript for what people write). */
const Pattern = z
  .string()
  .min(1)
  .max(512)
  .refine(
    (p) => {
      try {
        new RegExp(p, 'u');
        return true;
      } catch {
        return false;
      }
    },
    { error: 'not a valid regular expression' },
  );

/**
 * Which inbox items raise an OS notification, in an Alert's terms and matched with the same code as Flux Alerts:
 * `eventSeverity` `error` = errors only, `info` = everything; `kinds` (empty = every kind); `names` (exact, or `*`;
 * empty = every name); `namespaces` (empty = every namespace); `inclusionList` / `exclusionList` regexes on the message.
 */
export const OsNotificationFilter = z.strictObject({
  eventSeverity: z.enum(['info', 'error']),
  kinds: z.array(Kind).max(50),
  names: z.array(z.union([Name, z.literal('*')])).max(100),
  namespaces: z.array(Namespace.min(1)).max(100),
  inclusionList: z.array(Pattern).max(50),
  exclusionList: z.array(Pattern).max(50),
});
export type OsNotificationFilter = z.infer<typeof OsNotificationFilter>;

/** `HOST:PORT` with a port; port 0 picks a free one. */
export const BindAddress = z
  .string()
  .max(300)
  .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'HOST:PORT, e.g. 127.0.0.1:9292')
  .refine((a) => Number(a.slice(a.lastIndexOf(':') + 1)) <= 65535, { error: 'the port must be 0-65535' });

export const ReceiverSetting = z.strictObject({
  enabled: z.boolean(),
  address: BindAddress,
});
export type ReceiverSetting = z.infer<typeof ReceiverSetting>;

/** The local notification settings, kept in `<dataDir>/settings.json`. */
export const NotificationSettings = z.strictObject({
  os: OsNotificationFilter,
  receiver: ReceiverSetting,
});
export type NotificationSettings = z.infer<typeof NotificationSettings>;

export const DEFAULT_NOTIFICATION_SETTINGS: NotificationSettings = {
  os: { eventSeverity: 'error', kinds: [], names: [], namespaces: [], inclusionList: [], exclusionList: [] },
  receiver: { enabled: false, address: '127.0.0.1:9292' },
};

export const ReceiverServerState = z.object({
  running: z.boolean(),
  /** `http://host:port` while running. */
  url: z.string().optional(),
  /** Who started it: the setting, or `--receiver-addr` (which the setting cannot stop). */
  startedBy: z.enum(['setting', 'flag']).optional(),
  /** The last start failed (address in use, not allowed): what to do. */
  error: z.string().optional(),
});
export type ReceiverServerState = z.infer<typeof ReceiverServerState>;

export const NotificationsOverview = z.object({
  clusters: z.array(ClusterNotifications),
  receiverServer: ReceiverServerState,
  settings: NotificationSettings,
});
export type NotificationsOverview = z.infer<typeof NotificationsOverview>;

export const ProviderKey = z.strictObject({ cluster: ClusterName, namespace: Namespace.min(1), name: Name });
export type ProviderKey = z.infer<typeof ProviderKey>;

export const notificationRequests = {
  'notifications:overview': { req: z.strictObject({}), res: NotificationsOverview },
  /** Sends a synthetic Flux event (info, reason TestEvent) through this Provider only; resolves with the delivery. */
  'notifications:sendTest': { req: z.strictObject({ provider: ProviderKey }), res: Delivery },
  /** Saves the settings and applies them (the receiver server starts, moves or stops). */
  'notifications:setSettings': {
    req: z.strictObject({ settings: NotificationSettings }),
    res: z.object({ settings: NotificationSettings, receiverServer: ReceiverServerState }),
  },
} as const;
