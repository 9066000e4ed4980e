/**
 * The alert inbox (main/notify/README.md): a persistent store of Flux warnings, reconcile failures, corrected drift
 * and the built-in condition rules, with a notifier for OS notifications.
 */
export {
  type AlertDispatcher,
  type AlertDispatcherOptions,
  type DeliveryRecord,
  startAlertDispatcher,
} from './alert-dispatcher.ts';
export {
  alertFromReconcileError,
  alertsFromFluxEvent,
  authAlert,
  DEFAULT_RULE_SETTINGS,
  driftMessage,
  type FluxEvent,
  type ReconcileFinished,
  type RuleSettings,
  staleSourceAlerts,
  suspendedAlerts,
  suspendedSince,
} from './alert-rules.ts';
export { INBOX_MIGRATIONS, type Migration } from './inbox-database.ts';
export {
  type FeedClusters,
  type FeedEvents,
  type FeedSession,
  type InboxFeed,
  type InboxFeedOptions,
  startInboxFeed,
} from './inbox-feed.ts';
export { type InboxStoreOptions, type OpenedInbox, openInbox, SqliteInbox } from './inbox-store.ts';
export * from './inbox-types.ts';
export { createNotifier, type Notifier, type NotifierOptions, type OsNotification, summarize } from './notifier.ts';
export { fluxEventFromKubeEvent, type ObservedEventFeed, startObservedEventFeed } from './observed-events.ts';
export { type OsFilter, osFilterAllows } from './os-notification-filter.ts';
export {
  type HookResult,
  type ReceiverServer,
  type ReceiverServerOptions,
  startReceiverServer,
} from './receiver-server.ts';
export { webhookPath } from './receiver-webhook.ts';
