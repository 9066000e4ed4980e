/**
 * The alert inbox as the renderer sees it (main/notify/README.md holds the semantics): items from every cluster,
 * their read / acknowledged / muted state, the mute rules, and drift explained field by field. Drift values come
 * from the server-side dry run after masking, so a Secret's values never appear in them.
 */
import { z } from 'zod';

import { ClusterName, Kind, Name, Namespace, ObjectRef } from './model.ts';

export const Severity = z.enum(['error', 'warning', 'info']);
export type Severity = z.infer<typeof Severity>;

export const AlertRule = z.enum([
  'reconcile-failed',
  'warning',
  'drift-corrected',
  'suspended',
  'source-stale',
  'cluster-auth',
  'image-update',
]);
export type AlertRule = z.infer<typeof AlertRule>;

/** One drifted field: what the live object had, what the desired state put back, and who had set the live value. */
export const FieldChange = z.object({
  /** `spec.replicas`, `spec.template.spec.containers[name=web].image`, `metadata.labels["app"]`. */
  path: z.string(),
  /** Relative to the live object: `added` = applying adds the field, `removed` = applying removes it. */
  op: z.enum(['added', 'changed', 'removed']),
  live: z.unknown().optional(),
  desired: z.unknown().optional(),
  /** The field manager that owned the live value (from managedFields): `kubectl-edit`, `kubectl-client-side-apply`… */
  manager: z.string().optional(),
  operation: z.string().optional(),
  /** When that manager last changed its fields. */
  time: z.string().optional(),
});
export type FieldChange = z.infer<typeof FieldChange>;

/** An object a reconcile put back, with the fields that had drifted. */
export const DriftedObject = z.object({
  /** `Kind/namespace/name`, as Flux writes it. */
  subject: z.string(),
  ref: ObjectRef,
  /** `configured` (fields put back) or `created` (it had been deleted). */
  action: z.string(),
  changes: z.array(FieldChange).optional(),
});
export type DriftedObject = z.infer<typeof DriftedObject>;

/** The object an item is about; cluster-wide items (auth failing) have none. */
export const AlertObject = z.object({
  apiVersion: z.string().optional(),
  kind: z.string(),
  namespace: z.string(),
  name: z.string(),
});
export type AlertObject = z.infer<typeof AlertObject>;

export const InboxItem = z.object({
  id: z.number().int(),
  rule: AlertRule,
  severity: Severity,
  cluster: z.string(),
  object: AlertObject.optional(),
  reason: z.string(),
  message: z.string(),
  revision: z.string().optional(),
  /** Who reported it: `kustomize-controller`, `source-controller`, `fluxdeck`. */
  source: z.string().optional(),
  /** For drift-corrected items: the objects put back (the item's object is the Kustomization that did it). */
  drift: z.array(DriftedObject).optional(),
  count: z.number().int(),
  firstSeen: z.string(),
  lastSeen: z.string(),
  read: z.boolean(),
  acknowledged: z.boolean(),
  acknowledgedAt: z.string().optional(),
  muted: z.boolean(),
  /** For condition rules (suspended, source stale, auth failing): when the condition cleared. */
  resolvedAt: z.string().optional(),
});
export type InboxItem = z.infer<typeof InboxItem>;

const oneOrMany = <T extends z.ZodType>(t: T): z.ZodUnion<[T, z.ZodArray<T>]> => z.union([t, z.array(t).max(100)]);

/** What the inbox view asks for. Newest activity first. */
export const InboxFilter = z.strictObject({
  cluster: oneOrMany(ClusterName).optional(),
  kind: oneOrMany(Kind).optional(),
  /** With `cluster` and `kind`: one object's items. */
  namespace: Namespace.optional(),
  name: Name.optional(),
  severity: oneOrMany(Severity).optional(),
  rule: oneOrMany(AlertRule).optional(),
  unread: z.boolean().optional(),
  acknowledged: z.boolean().optional(),
  muted: z.boolean().optional(),
  /** Open conditions only (true) or everything else (false). */
  open: z.boolean().optional(),
  /** Case-insensitive substring of the message, reason, object name or namespace, or a drifted object's name. */
  text: z.string().max(256).optional(),
  limit: z.number().int().min(1).max(1000).optional(),
  offset: z.number().int().min(0).optional(),
});
export type InboxFilter = z.infer<typeof InboxFilter>;

export const InboxPage = z.object({ items: z.array(InboxItem), total: z.number().int() });
export type InboxPage = z.infer<typeof InboxPage>;

export const InboxCounts = z.object({
  /** Unread and not muted: the badge. */
  unread: z.number().int(),
  unreadErrors: z.number().int(),
  unreadByCluster: z.record(z.string(), z.number().int()),
});
export type InboxCounts = z.infer<typeof InboxCounts>;

/** A whole cluster (no `object`) or one object; `until` makes it a snooze. */
export const MuteScope = z.strictObject({
  cluster: ClusterName,
  object: z.strictObject({ kind: Kind, namespace: Namespace, name: Name }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
});
export type MuteScope = z.infer<typeof MuteScope>;

export const MuteRule = z.object({
  id: z.number().int(),
  cluster: z.string(),
  object: z.object({ kind: z.string(), namespace: z.string(), name: z.string() }).optional(),
  until: z.string().optional(),
  createdAt: z.string(),
});
export type MuteRule = z.infer<typeof MuteRule>;

export const InboxState = z.object({
  counts: InboxCounts,
  mutes: z.array(MuteRule),
  /** The database was damaged or from a newer version and was moved aside: say so once, and where it went. */
  notice: z.string().optional(),
});
export type InboxState = z.infer<typeof InboxState>;

/**
 * What changed in the inbox, pushed to every client: the items that are new or changed (newest state of each), the
 * counts, and `refresh` when something changed too many items to list (mute rules, retention): re-list then.
 */
export const InboxDelta = z.object({
  items: z.array(InboxItem),
  counts: InboxCounts,
  mutes: z.array(MuteRule).optional(),
  refresh: z.boolean(),
});
export type InboxDelta = z.infer<typeof InboxDelta>;

/** One corrected drift of one object, for the object panel. */
export const DriftRecord = z.object({
  itemId: z.number().int(),
  cluster: z.string(),
  /** The Kustomization that put it back. */
  by: AlertObject,
  /** When it was last put back. */
  at: z.string(),
  count: z.number().int(),
  revision: z.string().optional(),
  object: DriftedObject,
});
export type DriftRecord = z.infer<typeof DriftRecord>;
