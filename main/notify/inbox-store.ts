import type { DatabaseSync, SQLInputValue, StatementResultingChanges } from 'node:sqlite';

import { errorChain, errorMessage } from '../util/errors.ts';
import { type Logger, silentLogger } from '../util/logger.ts';
import { groupKeyOf, isConditionRule } from './alert-grouping.ts';
import { type Migration, openInboxDatabase } from './inbox-database.ts';
import type {
  AlertInput,
  AlertRule,
  DriftedObject,
  Inbox,
  InboxChange,
  InboxCounts,
  InboxFilter,
  InboxItem,
  InboxPage,
  MuteRule,
  MuteScope,
  Severity,
} from './inbox-types.ts';

/**
 * The inbox in one SQLite file in the app data directory. Repeats within the grouping window count up one item
 * instead of adding rows; read, acknowledged and resolved state are columns, so they survive restarts; mutes are
 * rules evaluated when reading, so muting a cluster silences what is already there as well as what comes later.
 * The table is bounded (age and row count), pruned as items arrive.
 */

export interface InboxStoreOptions {
  /** Repeats within this window count up one item (default 1 hour). */
  groupWindowMs?: number;
  retention?: {
    /** Default 5000 items. */
    maxItems?: number;
    /** Default 30 days. */
    maxAgeMs?: number;
  };
  now?: () => number;
  logger?: Logger;
  /** Schema steps (tests add some to prove upgrades); default the current schema. */
  migrations?: readonly Migration[];
}

export interface OpenedInbox {
  inbox: SqliteInbox;
  /** Set when the previous database was moved aside (damaged, or from a newer Fluxdeck): show it to the user once. */
  notice?: string;
}

/**
 * Opens (or creates) the inbox at `path`; `:memory:` keeps it for this process only. With `fallbackToMemory`, a file
 * that cannot be opened at all (permissions, a full disk) gives an in-memory inbox and a notice instead of an error,
 * so alerts still work until the next start.
 */
export function openInbox(path: string, opts: InboxStoreOptions & { fallbackToMemory?: boolean } = {}): OpenedInbox {
  const dbOpts = {
    ...(opts.migrations ? { migrations: opts.migrations } : {}),
    ...(opts.now ? { now: () => new Date(opts.now?.() ?? Date.now()) } : {}),
  };
  let opened;
  try {
    opened = openInboxDatabase(path, dbOpts);
  } catch (err) {
    if (!opts.fallbackToMemory || path === ':memory:') throw err;
    (opts.logger ?? silentLogger).error('inbox: cannot open the database; keeping alerts in memory', {
      path,
      error: errorChain(err),
    });
    opened = {
      ...openInboxDatabase(':memory:', dbOpts),
      notice: `The inbox database ${path} cannot be opened (${errorChain(err)}); alerts are kept in memory until Fluxdeck restarts.`,
    };
  }
  const inbox = new SqliteInbox(opened.db, opts);
  return opened.notice ? { inbox, notice: opened.notice } : { inbox };
}

interface Row {
  id: number;
  group_key: string;
  rule: AlertRule;
  severity: Severity;
  cluster: string;
  api_version: string;
  kind: string;
  namespace: string;
  name: string;
  reason: string;
  message: string;
  revision: string | null;
  source: string | null;
  drift: string | null;
  count: number;
  first_seen: number;
  last_seen: number;
  read_at: number | null;
  acknowledged_at: number | null;
  resolved_at: number | null;
  muted: number;
}

interface MuteRow {
  id: number;
  cluster: string;
  kind: string;
  namespace: string;
  name: string;
  until: number | null;
  created_at: number;
}

type Params = Record<string, SQLInputValue>;

interface Bound {
  all(params?: Params): unknown[];
  get(params?: Params): unknown;
  run(params?: Params): StatementResultingChanges;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** Whether a mute rule in force covers the item `i` (needs `$now`). */
const MUTED = `EXISTS (SELECT 1 FROM mutes m WHERE m.cluster = i.cluster AND (m.until IS NULL OR m.until > $now)
  AND (m.kind = '' OR (m.kind = i.kind AND m.namespace = i.namespace AND m.name = i.name)))`;
const UNREAD = `i.read_at IS NULL AND NOT ${MUTED}`;
const CONDITIONS = `i.rule IN ('suspended', 'source-stale', 'cluster-auth')`;

function toItem(r: Row): InboxItem {
  return {
    id: r.id,
    rule: r.rule,
    severity: r.severity,
    cluster: r.cluster,
    ...(r.kind
      ? {
          object: {
            ...(r.api_version ? { apiVersion: r.api_version } : {}),
            kind: r.kind,
            namespace: r.namespace,
            name: r.name,
          },
        }
      : {}),
    reason: r.reason,
    message: r.message,
    ...(r.revision ? { revision: r.revision } : {}),
    ...(r.source ? { source: r.source } : {}),
    ...(r.drift ? { drift: JSON.parse(r.drift) as DriftedObject[] } : {}),
    count: r.count,
    firstSeen: iso(r.first_seen),
    lastSeen: iso(r.last_seen),
    read: r.read_at !== null,
    acknowledged: r.acknowledged_at !== null,
    ...(r.acknowledged_at !== null ? { acknowledgedAt: iso(r.acknowledged_at) } : {}),
    muted: r.muted !== 0,
    ...(r.resolved_at !== null ? { resolvedAt: iso(r.resolved_at) } : {}),
  };
}

function toMute(r: MuteRow): MuteRule {
  return {
    id: r.id,
    cluster: r.cluster,
    ...(r.kind ? { object: { kind: r.kind, namespace: r.namespace, name: r.name } } : {}),
    ...(r.until !== null ? { until: iso(r.until) } : {}),
    createdAt: iso(r.created_at),
  };
}

/** Lower-case text the `text` filter searches: message, reason, object and the drifted objects' names. */
function searchText(input: AlertInput): string {
  const o = input.object;
  return [
    input.message,
    input.reason,
    o ? `${o.kind}/${o.namespace}/${o.name}` : '',
    ...(input.drift ?? []).map((d) => d.subject),
  ]
    .join('\n')
    .toLowerCase();
}

const list = <T>(v: T | readonly T[] | undefined): readonly T[] | undefined =>
  v === undefined ? undefined : Array.isArray(v) ? (v as readonly T[]) : [v as T];

export class SqliteInbox implements Inbox {
  readonly #db: DatabaseSync;
  readonly #listeners = new Set<(c: InboxChange) => void>();
  readonly #statements = new Map<string, Bound>();
  readonly #now: () => number;
  readonly #windowMs: number;
  readonly #maxItems: number;
  readonly #maxAgeMs: number;
  readonly #logger: Logger;
  #insertsSincePrune = 0;

  constructor(db: DatabaseSync, opts: InboxStoreOptions = {}) {
    this.#db = db;
    this.#now = opts.now ?? Date.now;
    this.#windowMs = opts.groupWindowMs ?? 60 * 60_000;
    this.#maxItems = opts.retention?.maxItems ?? 5000;
    this.#maxAgeMs = opts.retention?.maxAgeMs ?? 30 * 24 * 60 * 60_000;
    this.#logger = opts.logger ?? silentLogger;
    this.prune();
  }

  record(input: AlertInput): InboxItem {
    const changes: InboxChange[] = [];
    const item = this.#tx(() => this.#record(input, changes));
    this.#emit(changes);
    return item;
  }

  syncConditions(rule: AlertRule, cluster: string, active: readonly AlertInput[]): void {
    if (!isConditionRule(rule)) throw new Error(`syncConditions: ${rule} is not a condition rule`);
    const wanted = new Map<string, AlertInput>();
    for (const a of active) {
      if (a.rule !== rule || a.cluster !== cluster)
        throw new Error(`syncConditions(${rule}, ${cluster}) got an alert for ${a.rule} in ${a.cluster}`);
      wanted.set(groupKeyOf(a), a);
    }
    const changes: InboxChange[] = [];
    this.#tx(() => {
      const now = this.#now();
      const open = this.#prepare(
        `SELECT id, group_key FROM items WHERE rule = $rule AND cluster = $cluster AND resolved_at IS NULL`,
      ).all({ rule, cluster }) as { id: number; group_key: string }[];
      for (const o of open) {
        if (wanted.has(o.group_key)) continue;
        this.#prepare('UPDATE items SET resolved_at = $now WHERE id = $id').run({ now, id: o.id });
        const item = this.#get(o.id);
        if (item) changes.push({ type: 'resolved', item });
      }
      for (const a of wanted.values()) this.#record(a, changes);
    });
    this.#emit(changes);
  }

  list(filter: InboxFilter = {}): InboxPage {
    const params: Params = { now: this.#now() };
    const where = this.#where(filter, params);
    const total = (this.#prepare(`SELECT count(*) AS n FROM items i WHERE ${where}`).get(params) as { n: number }).n;
    const limit = Math.min(Math.max(filter.limit ?? 100, 1), 1000);
    const rows = this.#prepare(
      `SELECT i.*, ${MUTED} AS muted FROM items i WHERE ${where}
         ORDER BY i.last_seen DESC, i.id DESC LIMIT $limit OFFSET $offset`,
    ).all({ ...params, limit, offset: Math.max(filter.offset ?? 0, 0) }) as unknown as Row[];
    return { items: rows.map(toItem), total };
  }

  get(id: number): InboxItem | undefined {
    return this.#get(id);
  }

  counts(): InboxCounts {
    const rows = this.#prepare(
      `SELECT cluster, severity, count(*) AS n FROM items i WHERE ${UNREAD} GROUP BY cluster, severity`,
    ).all({ now: this.#now() }) as { cluster: string; severity: Severity; n: number }[];
    const counts: InboxCounts = { unread: 0, unreadErrors: 0, unreadByCluster: {} };
    for (const r of rows) {
      counts.unread += r.n;
      if (r.severity === 'error') counts.unreadErrors += r.n;
      counts.unreadByCluster[r.cluster] = (counts.unreadByCluster[r.cluster] ?? 0) + r.n;
    }
    return counts;
  }

  markRead(ids: readonly number[] | 'all', read = true): number {
    const target = ids === 'all' ? '1' : 'id IN (SELECT value FROM json_each($ids))';
    const rows = this.#prepare(
      read
        ? `UPDATE items SET read_at = $now WHERE ${target} AND read_at IS NULL RETURNING id`
        : `UPDATE items SET read_at = NULL WHERE ${target} AND read_at IS NOT NULL RETURNING id`,
    ).all({ now: this.#now(), ...(ids === 'all' ? {} : { ids: JSON.stringify(ids) }) }) as { id: number }[];
    return this.#stateChanged(rows);
  }

  acknowledge(ids: readonly number[], acknowledged = true): number {
    const rows = this.#prepare(
      acknowledged
        ? `UPDATE items SET acknowledged_at = $now, read_at = coalesce(read_at, $now)
             WHERE id IN (SELECT value FROM json_each($ids)) AND acknowledged_at IS NULL RETURNING id`
        : `UPDATE items SET acknowledged_at = NULL
             WHERE id IN (SELECT value FROM json_each($ids)) AND acknowledged_at IS NOT NULL RETURNING id`,
    ).all({ ids: JSON.stringify(ids), ...(acknowledged ? { now: this.#now() } : {}) }) as { id: number }[];
    return this.#stateChanged(rows);
  }

  mute(scope: MuteScope): MuteRule {
    const until = scope.until === undefined ? null : Date.parse(scope.until);
    if (until !== null && Number.isNaN(until)) throw new Error(`mute: "until" is not a time: ${scope.until ?? ''}`);
    const row = this.#prepare(
      `INSERT INTO mutes (cluster, kind, namespace, name, until, created_at)
         VALUES ($cluster, $kind, $namespace, $name, $until, $now)
         ON CONFLICT (cluster, kind, namespace, name) DO UPDATE SET until = excluded.until
         RETURNING *`,
    ).get({
      cluster: scope.cluster,
      kind: scope.object?.kind ?? '',
      namespace: scope.object?.namespace ?? '',
      name: scope.object?.name ?? '',
      until,
      now: this.#now(),
    }) as MuteRow;
    this.#emit([{ type: 'mutes' }]);
    return toMute(row);
  }

  unmute(id: number): boolean {
    const removed = this.#prepare('DELETE FROM mutes WHERE id = $id').run({ id }).changes > 0;
    if (removed) this.#emit([{ type: 'mutes' }]);
    return removed;
  }

  mutes(): MuteRule[] {
    const rows = this.#prepare('SELECT * FROM mutes WHERE until IS NULL OR until > $now ORDER BY id').all({
      now: this.#now(),
    }) as unknown as MuteRow[];
    return rows.map(toMute);
  }

  onChange(listener: (change: InboxChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Drops items older than the retention age, then the oldest beyond the row limit, and expired snoozes. */
  prune(): number {
    this.#insertsSincePrune = 0;
    const now = this.#now();
    const removed = this.#tx(() => {
      let n = this.#prepare('DELETE FROM items WHERE last_seen < $cutoff').run({ cutoff: now - this.#maxAgeMs })
        .changes as number;
      n += this.#prepare(
        'DELETE FROM items WHERE id IN (SELECT id FROM items ORDER BY last_seen DESC, id DESC LIMIT -1 OFFSET $max)',
      ).run({ max: this.#maxItems }).changes as number;
      this.#prepare('DELETE FROM mutes WHERE until IS NOT NULL AND until <= $now').run({ now });
      return n;
    });
    if (removed > 0) this.#emit([{ type: 'pruned', count: removed }]);
    return removed;
  }

  close(): void {
    this.#listeners.clear();
    if (this.#db.isOpen) this.#db.close();
  }

  #record(input: AlertInput, changes: InboxChange[]): InboxItem {
    const at = input.at ?? this.#now();
    const key = groupKeyOf(input);
    const condition = isConditionRule(input.rule);
    const existing = this.#prepare(
      condition
        ? 'SELECT id, message FROM items WHERE group_key = $key AND resolved_at IS NULL ORDER BY id DESC LIMIT 1'
        : 'SELECT id, message FROM items WHERE group_key = $key AND last_seen >= $since ORDER BY last_seen DESC LIMIT 1',
    ).get(condition ? { key } : { key, since: at - this.#windowMs }) as { id: number; message: string } | undefined;
    const values = {
      message: input.message,
      revision: input.revision ?? null,
      drift: input.drift ? JSON.stringify(input.drift) : null,
      search: searchText(input),
      at,
    };
    if (existing) {
      // An open condition is still the same occurrence: it keeps count 1 and only follows the latest message.
      this.#prepare(
        `UPDATE items SET count = count + $inc, last_seen = max(last_seen, $at), message = $message,
             revision = $revision, drift = $drift, search = $search WHERE id = $id`,
      ).run({ ...values, inc: condition ? 0 : 1, id: existing.id });
      const item = this.#get(existing.id);
      if (!item) throw new Error(`inbox item ${existing.id} vanished while being updated`);
      if (!condition || existing.message !== input.message) changes.push({ type: 'repeated', item });
      return item;
    }
    return this.#insert(input, { ...values, key }, changes);
  }

  /** A new item (no open one to group with). */
  #insert(input: AlertInput, values: Params, changes: InboxChange[]): InboxItem {
    const { lastInsertRowid } = this.#prepare(
      `INSERT INTO items (group_key, rule, severity, cluster, api_version, kind, namespace, name, reason, message,
           revision, source, drift, search, first_seen, last_seen)
         VALUES ($key, $rule, $severity, $cluster, $apiVersion, $kind, $namespace, $name, $reason, $message,
           $revision, $source, $drift, $search, $at, $at)`,
    ).run({
      ...values,
      rule: input.rule,
      severity: input.severity,
      cluster: input.cluster,
      apiVersion: input.object?.apiVersion ?? '',
      kind: input.object?.kind ?? '',
      namespace: input.object?.namespace ?? '',
      name: input.object?.name ?? '',
      reason: input.reason,
      source: input.source ?? null,
    });
    const item = this.#get(Number(lastInsertRowid));
    if (!item) throw new Error('inbox: the new item cannot be read back');
    changes.push({ type: 'added', item });
    if (++this.#insertsSincePrune >= 100)
      queueMicrotask(() => this.#safely(() => (this.#db.isOpen ? this.prune() : undefined)));
    return item;
  }

  /**
   * A cached statement that binds only the named parameters its SQL uses (SQLite refuses unknown ones, and the filters
   * use `$now` only in some queries).
   */
  #prepare(sql: string): Bound {
    let bound = this.#statements.get(sql);
    if (!bound) {
      const stmt = this.#db.prepare(sql);
      const names = new Set([...sql.matchAll(/\$(\w+)/g)].map((m) => m[1] ?? ''));
      const pick = (params: Params = {}): Params =>
        Object.fromEntries(Object.entries(params).filter(([k]) => names.has(k)));
      bound = {
        all: (params) => stmt.all(pick(params)),
        get: (params) => stmt.get(pick(params)),
        run: (params) => stmt.run(pick(params)),
      };
      // Filters make a statement per combination; keep the cache bounded all the same.
      if (this.#statements.size > 200) this.#statements.clear();
      this.#statements.set(sql, bound);
    }
    return bound;
  }

  #get(id: number): InboxItem | undefined {
    const row = this.#prepare(`SELECT i.*, ${MUTED} AS muted FROM items i WHERE i.id = $id`).get({
      id,
      now: this.#now(),
    }) as Row | undefined;
    return row ? toItem(row) : undefined;
  }

  #where(f: InboxFilter, params: Params): string {
    let n = 0;
    const p = (v: SQLInputValue): string => {
      const name = `p${n++}`;
      params[name] = v;
      return `$${name}`;
    };
    const anyOf = (column: string, values: readonly string[] | undefined): string | undefined =>
      values && `${column} IN (${values.map(p).join(', ') || 'NULL'})`;
    const flag = (cond: string, want: boolean | undefined): string | undefined =>
      want === undefined ? undefined : want ? `(${cond})` : `NOT (${cond})`;
    const clauses = [
      anyOf('i.cluster', list(f.cluster)),
      anyOf('i.kind', list(f.kind)),
      f.namespace !== undefined ? `i.namespace = ${p(f.namespace)}` : undefined,
      f.name !== undefined ? `i.name = ${p(f.name)}` : undefined,
      anyOf('i.severity', list(f.severity)),
      anyOf('i.rule', list(f.rule)),
      flag(UNREAD, f.unread),
      flag('i.acknowledged_at IS NOT NULL', f.acknowledged),
      flag(MUTED, f.muted),
      flag(`${CONDITIONS} AND i.resolved_at IS NULL`, f.open),
      f.text ? `instr(i.search, ${p(f.text.toLowerCase())}) > 0` : undefined,
    ].filter((c): c is string => c !== undefined);
    return clauses.length > 0 ? clauses.join(' AND ') : '1';
  }

  #stateChanged(rows: { id: number }[]): number {
    if (rows.length > 0) this.#emit([{ type: 'state', ids: rows.map((r) => r.id) }]);
    return rows.length;
  }

  #tx<T>(fn: () => T): T {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const result = fn();
      this.#db.exec('COMMIT');
      return result;
    } catch (err) {
      this.#db.exec('ROLLBACK');
      throw err;
    }
  }

  #emit(changes: readonly InboxChange[]): void {
    for (const change of changes) for (const l of this.#listeners) this.#safely(() => l(change));
  }

  #safely(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#logger.warn('inbox listener failed', { error: errorMessage(err) });
    }
  }
}
