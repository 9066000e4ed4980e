import type { FieldChange } from '../kube/object-diff.ts';
import type { ObjectRef } from '../util/kube-object.ts';

/**
 * The alert inbox's model: what the api layer, the tray and OS notifications read. Timestamps are ISO strings on the
 * way out and epoch milliseconds on the way in (the store keeps integers so it can sort and compare them).
 */

export type Severity = 'error' | 'warning' | 'info';

/**
 * Which built-in rule raised an item. `reconcile-failed` and `warning` come from Flux events, `drift-corrected` from
 * a reconcile that put drifted objects back; the last three are conditions that hold for a while and then clear
 * (the item gets `resolvedAt`).
 */
export type AlertRule =
  'reconcile-failed' | 'warning' | 'drift-corrected' | 'suspended' | 'source-stale' | 'cluster-auth' | 'image-update';

/** Rules whose items stay open while their condition holds (one item per object, never counted up). */
export const CONDITION_RULES: readonly AlertRule[] = ['suspended', 'source-stale', 'cluster-auth'];

/** The object an item is about. Cluster-wide items (auth failing) have none. */
export interface AlertObject {
  /** Absent when only the kind is known (a reconcile error reported by the work queue). */
  apiVersion?: string;
  kind: string;
  namespace: string;
  name: string;
}

/** One object a reconcile put back, with the fields that had drifted and who had changed them. */
export interface DriftedObject {
  /** `Kind/namespace/name`, as Flux writes it. */
  subject: string;
  ref: ObjectRef;
  /** What the apply did: `configured` (fields put back), `created` (it had been deleted). */
  action: string;
  /** Absent when the apply engine could not tell (e.g. the object had been deleted, so nothing differed field by field). */
  changes?: FieldChange[];
}

/** What an alert says, as a rule reports it and as the inbox keeps it. */
export interface AlertFields {
  rule: AlertRule;
  severity: Severity;
  cluster: string;
  object?: AlertObject;
  reason: string;
  /** For an item: the latest occurrence's message. */
  message: string;
  revision?: string;
  /** Who reported it: `kustomize-controller`, `source-controller`, `fluxdeck`. */
  source?: string;
  drift?: DriftedObject[];
}

/** What a rule reports; the store turns it into a new item or counts up a matching one. */
export interface AlertInput extends AlertFields {
  /** What repeats must share besides cluster, object, rule and reason; default: the message without durations. */
  groupBy?: string;
  /** When it happened (epoch ms); default now. */
  at?: number;
}

export interface InboxItem extends AlertFields {
  id: number;
  /** Occurrences grouped into this item. */
  count: number;
  firstSeen: string;
  lastSeen: string;
  read: boolean;
  acknowledged: boolean;
  acknowledgedAt?: string;
  /** A mute rule covers it now: it does not count as unread and raises no notification. */
  muted: boolean;
  /** For condition rules: when the condition cleared. */
  resolvedAt?: string;
}

export interface InboxFilter {
  cluster?: string | readonly string[];
  kind?: string | readonly string[];
  /** With `kind` and `cluster`: one object's items (the object panel's "alerts" tab). */
  namespace?: string;
  name?: string;
  severity?: Severity | readonly Severity[];
  rule?: AlertRule | readonly AlertRule[];
  unread?: boolean;
  acknowledged?: boolean;
  muted?: boolean;
  /** Open conditions only (true) or everything else (false). */
  open?: boolean;
  /** Case-insensitive substring of the message, reason, object name or namespace, or a drifted object's name. */
  text?: string;
  /** Most recent activity (`lastSeen`) first; default 100, at most 1000. */
  limit?: number;
  /** Paging: items to skip. */
  offset?: number;
}

export interface InboxPage {
  items: InboxItem[];
  /** Items matching the filter, ignoring `limit` and `offset`. */
  total: number;
}

export interface InboxCounts {
  /** Unread and not muted: the tray badge. */
  unread: number;
  unreadErrors: number;
  unreadByCluster: Record<string, number>;
}

/** A whole cluster (no `object`) or one object; `until` makes it a snooze. */
export interface MuteScope {
  cluster: string;
  object?: { kind: string; namespace: string; name: string };
  /** ISO time after which the mute no longer applies. */
  until?: string;
}

export interface MuteRule extends MuteScope {
  id: number;
  createdAt: string;
}

export type InboxChange =
  | { type: 'added'; item: InboxItem }
  /** A repeat counted up (`count`, `lastSeen`, `message` changed), or an open condition's message changed. */
  | { type: 'repeated'; item: InboxItem }
  | { type: 'resolved'; item: InboxItem }
  /** Read or acknowledged state of these items changed. */
  | { type: 'state'; ids: number[] }
  | { type: 'mutes' }
  | { type: 'pruned'; count: number };

/** The inbox as the api layer, the tray and the notifier use it. */
export interface Inbox {
  /** Stores an event-like alert, counting it up when a matching item was seen within the grouping window. */
  record(input: AlertInput): InboxItem;
  /**
   * For a condition rule in one cluster: raises an item for each active condition that has no open item, updates
   * the open ones, and resolves open items whose condition is no longer active.
   */
  syncConditions(rule: AlertRule, cluster: string, active: readonly AlertInput[]): void;
  list(filter?: InboxFilter): InboxPage;
  get(id: number): InboxItem | undefined;
  counts(): InboxCounts;
  /** Marks items (or every item) read or unread; returns how many changed. */
  markRead(ids: readonly number[] | 'all', read?: boolean): number;
  /** Acknowledges items (which also marks them read), or takes the acknowledgement back; returns how many changed. */
  acknowledge(ids: readonly number[], acknowledged?: boolean): number;
  mute(scope: MuteScope): MuteRule;
  unmute(id: number): boolean;
  /** Mute rules in force (expired snoozes are left out). */
  mutes(): MuteRule[];
  onChange(listener: (change: InboxChange) => void): () => void;
  close(): void;
}
