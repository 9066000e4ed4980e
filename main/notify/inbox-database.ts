import { chmodSync, existsSync, mkdirSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import type * as Sqlite from 'node:sqlite';

import { errorMessage } from '../util/errors.ts';

/**
 * Opens the inbox's SQLite file (Node's built-in `node:sqlite`, so Electron needs no native rebuild), brings its
 * schema up to date, and never silently drops it: a file that is not a database, fails SQLite's integrity check,
 * was written by a newer Fluxdeck, or cannot be upgraded is renamed aside with a timestamp and a new one is started,
 * with a notice for the UI that says where the old file went.
 */

type DatabaseSync = Sqlite.DatabaseSync;

/**
 * `node:sqlite`, loaded on first use rather than imported, so a runtime without it (Node before 22.13 needs a flag)
 * fails here with a message that says so instead of failing to load the bundle.
 */
function sqlite(): typeof Sqlite {
  const mod = process.getBuiltinModule('node:sqlite') as typeof Sqlite | undefined;
  if (!mod)
    throw new Error(
      `the inbox needs Node's built-in SQLite (node:sqlite), which Node ${process.versions.node} does not provide without a flag; use Node 22.13 or later`,
    );
  return mod;
}

/** One schema step: from version `index` to `index + 1`. Each runs in its own transaction. */
export type Migration = (db: DatabaseSync) => void;

export const INBOX_MIGRATIONS: readonly Migration[] = [
  (db) =>
    db.exec(`
      CREATE TABLE items (
        id INTEGER PRIMARY KEY,
        group_key TEXT NOT NULL,
        rule TEXT NOT NULL,
        severity TEXT NOT NULL,
        cluster TEXT NOT NULL,
        api_version TEXT NOT NULL DEFAULT '',
        kind TEXT NOT NULL DEFAULT '',
        namespace TEXT NOT NULL DEFAULT '',
        name TEXT NOT NULL DEFAULT '',
        reason TEXT NOT NULL,
        message TEXT NOT NULL,
        revision TEXT,
        source TEXT,
        drift TEXT,
        search TEXT NOT NULL,
        count INTEGER NOT NULL DEFAULT 1,
        first_seen INTEGER NOT NULL,
        last_seen INTEGER NOT NULL,
        read_at INTEGER,
        acknowledged_at INTEGER,
        resolved_at INTEGER
      );
      CREATE INDEX items_group ON items (group_key, last_seen);
      CREATE INDEX items_last_seen ON items (last_seen);
      CREATE INDEX items_object ON items (cluster, kind, namespace, name);
      CREATE TABLE mutes (
        id INTEGER PRIMARY KEY,
        cluster TEXT NOT NULL,
        kind TEXT NOT NULL DEFAULT '',
        namespace TEXT NOT NULL DEFAULT '',
        name TEXT NOT NULL DEFAULT '',
        until INTEGER,
        created_at INTEGER NOT NULL,
        UNIQUE (cluster, kind, namespace, name)
      );
    `),
];

export interface OpenedDatabase {
  db: DatabaseSync;
  /** Set when the previous file was moved aside: say it once to the user. */
  notice?: string;
  /** Where the previous file went. */
  movedTo?: string;
}

export interface OpenDatabaseOptions {
  migrations?: readonly Migration[];
  now?: () => Date;
}

/** SQLite's primary result codes that mean "this file is damaged" (sqlite3.h). */
const SQLITE_CORRUPT = 11;
const SQLITE_NOTADB = 26;

class Unusable extends Error {
  readonly kind: 'corrupt' | 'newer' | 'unmigratable' | 'foreign';
  constructor(kind: Unusable['kind'], message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'Unusable';
    this.kind = kind;
  }
}

function isCorruption(err: unknown): boolean {
  const code = (err as { errcode?: unknown }).errcode;
  return typeof code === 'number' && [SQLITE_CORRUPT, SQLITE_NOTADB].includes(code & 0xff);
}

export function openInboxDatabase(path: string, opts: OpenDatabaseOptions = {}): OpenedDatabase {
  const migrations = opts.migrations ?? INBOX_MIGRATIONS;
  const fail = (err: unknown): Error => new Error(`cannot open the inbox database ${path}`, { cause: err });
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    return { db: ownerOnly(path, openChecked(path, migrations)) };
  } catch (err) {
    if (!(err instanceof Unusable) || path === ':memory:') throw fail(err);
    const movedTo = moveAside(path, err.kind, (opts.now ?? (() => new Date()))());
    const notice = `${noticeFor(err)}. It was moved to ${movedTo} and a new, empty inbox was started.`;
    try {
      return { db: ownerOnly(path, openChecked(path, migrations)), notice, movedTo };
    } catch (again) {
      throw fail(again);
    }
  }
}

/** The inbox holds cluster names, object names and messages: readable by this user only (with its WAL files). */
function ownerOnly(path: string, db: DatabaseSync): DatabaseSync {
  if (path === ':memory:') return db;
  for (const f of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(f)) chmodSync(f, 0o600);
  return db;
}

function noticeFor(err: Unusable): string {
  if (err.kind === 'foreign') return `The inbox database is not one Fluxdeck wrote (${err.message})`;
  if (err.kind === 'newer') return `The inbox database was written by a newer version of Fluxdeck (${err.message})`;
  if (err.kind === 'corrupt') return `The inbox database is damaged (${err.message})`;
  return `The inbox database could not be upgraded (${err.message})`;
}

function openChecked(path: string, migrations: readonly Migration[]): DatabaseSync {
  let db: DatabaseSync;
  try {
    db = new (sqlite().DatabaseSync)(path);
  } catch (err) {
    if (isCorruption(err)) throw new Unusable('corrupt', errorMessage(err), { cause: err });
    throw err;
  }
  try {
    prepare(db, migrations);
    return db;
  } catch (err) {
    db.close();
    if (err instanceof Unusable) throw err;
    if (isCorruption(err)) throw new Unusable('corrupt', errorMessage(err), { cause: err });
    throw err;
  }
}

function prepare(db: DatabaseSync, migrations: readonly Migration[]): void {
  // The desktop app and `fluxdeck serve` may share the file: WAL lets one read while the other writes, and the busy
  // timeout makes a writer wait for the other's transaction instead of failing.
  db.exec('PRAGMA busy_timeout = 5000');
  const check = db.prepare('PRAGMA quick_check').all() as { quick_check: string }[];
  if (check[0]?.quick_check !== 'ok') {
    throw new Unusable('corrupt', `integrity check failed: ${check.map((r) => r.quick_check).join('; ')}`);
  }
  const version = (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version;
  if (version > migrations.length) {
    throw new Unusable('newer', `schema version ${version}; this version reads up to ${migrations.length}`);
  }
  // Only now that the file is known to be ours and readable (a newer version's file is left exactly as it was).
  db.exec('PRAGMA journal_mode = WAL');
  for (let v = version; v < migrations.length; v++) {
    db.exec('BEGIN IMMEDIATE');
    try {
      migrations[v]?.(db);
      db.exec(`PRAGMA user_version = ${v + 1}`);
      db.exec('COMMIT');
    } catch (err) {
      db.exec('ROLLBACK');
      if (isCorruption(err)) throw err;
      throw new Unusable('unmigratable', `step ${v} → ${v + 1} failed: ${errorMessage(err)}`, { cause: err });
    }
  }
  checkSchema(db, migrations);
}

/** Table → columns, as the migrations create them on an empty database (computed once per migration list). */
const expectedSchemas = new WeakMap<readonly Migration[], Map<string, string[]>>();

function schemaOf(db: DatabaseSync): Map<string, string[]> {
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[];
  return new Map(
    tables.map((t) => [
      t.name,
      (db.prepare(`PRAGMA table_info("${t.name.replaceAll('"', '""')}")`).all() as { name: string }[]).map(
        (c) => c.name,
      ),
    ]),
  );
}

/**
 * A file with SQLite's header and a plausible user_version may still be someone else's database: after migrating,
 * every table and column the migrations make must be there, or the file is moved aside like a damaged one.
 */
function checkSchema(db: DatabaseSync, migrations: readonly Migration[]): void {
  let expected = expectedSchemas.get(migrations);
  if (!expected) {
    const fresh = new (sqlite().DatabaseSync)(':memory:');
    try {
      for (const m of migrations) m(fresh);
      expected = schemaOf(fresh);
    } finally {
      fresh.close();
    }
    expectedSchemas.set(migrations, expected);
  }
  const actual = schemaOf(db);
  for (const [table, columns] of expected) {
    const have = actual.get(table);
    if (!have) throw new Unusable('foreign', `no table ${table}`);
    const missing = columns.filter((c) => !have.includes(c));
    if (missing.length > 0) throw new Unusable('foreign', `table ${table} lacks ${missing.join(', ')}`);
  }
}

/** Renames the file and its WAL sidecars (a stale `-wal` beside a new file would be replayed into it). */
function moveAside(path: string, kind: Unusable['kind'], now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const target = `${path}.${kind}-${stamp}`;
  for (const suffix of ['', '-wal', '-shm']) {
    if (existsSync(path + suffix)) renameSync(path + suffix, target + suffix);
  }
  return target;
}
