import type { AlertRule, Inbox, InboxItem, Severity } from './inbox-types.ts';

/**
 * OS notifications for new inbox items, throttled and grouped: at most one notification per interval, and what
 * arrives in between becomes one summary ("3 new errors in prod"). Repeats of an item, muted and acknowledged items
 * never notify. The Electron layer passes `show` (Electron's Notification); the headless server has none.
 */

export interface OsNotification {
  title: string;
  body: string;
  /** The items announced, newest first: a click opens the first one, or the inbox filtered to these. */
  itemIds: number[];
  /** Set when every item is from one cluster. */
  cluster?: string;
  /** The most severe of the items. */
  severity: Severity;
}

export interface NotifierOptions {
  inbox: Pick<Inbox, 'onChange'>;
  show(notification: OsNotification): void;
  /** At most one notification per interval (default 30 s). */
  intervalMs?: number;
  /** Severities that notify (default errors only). Ignored when `allows` is given. */
  severities?: readonly Severity[];
  /**
   * Decides which new items notify instead of `severities`: the user's local filter (os-notification-filter.ts),
   * asked for each item so a changed setting applies from the next item on.
   */
  allows?: (item: InboxItem) => boolean;
  /** Waits this long after the first new item, so items arriving together make one notification (default 1 s). */
  gatherMs?: number;
}

export interface Notifier {
  /** Shows what is pending now, ignoring the interval (e.g. when the window loses focus). */
  flush(): void;
  stop(): void;
}

const RULE_TITLES: Record<AlertRule, string> = {
  'reconcile-failed': 'Reconcile failed',
  warning: 'Warning',
  'drift-corrected': 'Drift corrected',
  suspended: 'Suspended too long',
  'source-stale': 'Source not fetched',
  'cluster-auth': 'Cluster connection failing',
  'image-update': 'Image update',
};

const BODY_ITEMS = 3;
const MAX_BODY = 240;

const clip = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const subject = (i: InboxItem): string =>
  i.object ? `${i.object.kind} ${i.object.namespace ? `${i.object.namespace}/` : ''}${i.object.name}` : i.cluster;

/** One notification for the items, newest first. Pure: the throttling lives in `createNotifier`. */
export function summarize(items: readonly InboxItem[]): OsNotification {
  const sorted = [...items].sort((a, b) => b.id - a.id);
  const [first] = sorted;
  if (!first) throw new Error('summarize: no items');
  const clusters = new Set(sorted.map((i) => i.cluster));
  const cluster = clusters.size === 1 ? first.cluster : undefined;
  const severity: Severity = sorted.some((i) => i.severity === 'error')
    ? 'error'
    : sorted.some((i) => i.severity === 'warning')
      ? 'warning'
      : 'info';
  const base = { itemIds: sorted.map((i) => i.id), severity, ...(cluster ? { cluster } : {}) };
  if (sorted.length === 1) {
    return {
      ...base,
      title: `${RULE_TITLES[first.rule]}: ${subject(first)}`,
      body: clip(`${first.cluster}: ${first.message}`, MAX_BODY),
    };
  }
  const noun = sorted.every((i) => i.severity === 'error')
    ? 'errors'
    : sorted.every((i) => i.severity === 'warning')
      ? 'warnings'
      : 'alerts';
  const where = cluster ?? `${clusters.size} clusters`;
  const lines = sorted.slice(0, BODY_ITEMS).map((i) => `${subject(i)}: ${i.reason}${cluster ? '' : ` (${i.cluster})`}`);
  if (sorted.length > BODY_ITEMS) lines.push(`and ${sorted.length - BODY_ITEMS} more`);
  return { ...base, title: `${sorted.length} new ${noun} in ${where}`, body: clip(lines.join('\n'), MAX_BODY) };
}

export function createNotifier(opts: NotifierOptions): Notifier {
  const intervalMs = opts.intervalMs ?? 30_000;
  const severities = new Set(opts.severities ?? ['error']);
  let pending: InboxItem[] = [];
  let lastShown = Number.NEGATIVE_INFINITY;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const flush = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (pending.length === 0) return;
    const items = pending;
    pending = [];
    lastShown = Date.now();
    opts.show(summarize(items));
  };

  const off = opts.inbox.onChange((change) => {
    if (change.type !== 'added') return;
    const { item } = change;
    if (item.muted || item.acknowledged) return;
    if (opts.allows ? !opts.allows(item) : !severities.has(item.severity)) return;
    pending.push(item);
    if (timer) return;
    const wait = Math.max(lastShown + intervalMs - Date.now(), opts.gatherMs ?? 1000);
    timer = setTimeout(flush, wait);
  });

  return {
    flush,
    stop: () => {
      off();
      if (timer) clearTimeout(timer);
      timer = undefined;
      pending = [];
    },
  };
}
