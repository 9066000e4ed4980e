import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { INBOX_MIGRATIONS, type Migration, openInboxDatabase } from '../../../main/notify/inbox-database.ts';
import { openInbox } from '../../../main/notify/inbox-store.ts';

let dir: string;
let path: string;
const at = new Date('2025-03-01T10:20:30.456Z');

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fluxdeck-inbox-db-'));
  path = join(dir, 'inbox.db');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const record = (path: string, reason = 'BuildFailed'): number => {
  const { inbox } = openInbox(path);
  const item = inbox.record({
    rule: 'reconcile-failed',
    severity: 'error',
    cluster: 'prod',
    reason,
    message: 'kustomize build failed',
  });
  inbox.acknowledge([item.id]);
  inbox.close();
  return item.id;
};

const version = (path: string): number => {
  const db = new DatabaseSync(path);
  const v = (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version;
  db.close();
  return v;
};

describe('inbox database', () => {
  it('creates the schema at the current version', () => {
    const { db, notice } = openInboxDatabase(path);
    db.close();
    expect(notice).toBeUndefined();
    expect(version(path)).toBe(INBOX_MIGRATIONS.length);
  });

  it('upgrades an older file step by step and keeps its items and their state', () => {
    const id = record(path);
    const addColumn: Migration = (db) => db.exec('ALTER TABLE items ADD COLUMN note TEXT');
    const { inbox, notice } = openInbox(path, { migrations: [...INBOX_MIGRATIONS, addColumn] });
    expect(notice).toBeUndefined();
    expect(inbox.get(id)).toMatchObject({ reason: 'BuildFailed', acknowledged: true });
    inbox.close();
    expect(version(path)).toBe(INBOX_MIGRATIONS.length + 1);
  });

  it('moves a file from a newer Fluxdeck aside untouched, and starts a new inbox', async () => {
    record(path);
    const db = new DatabaseSync(path);
    db.exec(`PRAGMA user_version = ${INBOX_MIGRATIONS.length + 5}`);
    db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    db.close();
    const before = await readFile(path);

    const opened = openInbox(path, { now: () => at.getTime() });
    expect(opened.notice).toMatch(
      /written by a newer version of Fluxdeck \(schema version \d+; this version reads up to \d+\)/,
    );
    const moved = join(dir, 'inbox.db.newer-20250301T102030Z');
    expect(opened.notice).toContain(`moved to ${moved}`);
    expect(await readFile(moved)).toEqual(before);
    expect(opened.inbox.list().total).toBe(0);
    opened.inbox.close();
    expect(version(path)).toBe(INBOX_MIGRATIONS.length);
  });

  it("moves aside a database with our schema version but someone else's tables", () => {
    const db = new DatabaseSync(path);
    db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)');
    db.exec(`PRAGMA user_version = ${INBOX_MIGRATIONS.length}`);
    db.close();
    const opened = openInbox(path, { now: () => at.getTime() });
    expect(opened.notice).toMatch(
      /^The inbox database is not one Fluxdeck wrote \(no table \w+\)\. It was moved to .*inbox\.db\.foreign-20250301T102030Z/,
    );
    expect(opened.inbox.list().total).toBe(0);
    opened.inbox.close();
    const moved = new DatabaseSync(join(dir, 'inbox.db.foreign-20250301T102030Z'));
    expect(moved.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all()).toEqual([{ name: 'notes' }]);
    moved.close();
  });

  it('keeps the inbox readable by this user only', async () => {
    const nested = join(dir, 'data');
    const opened = openInbox(join(nested, 'inbox.db'));
    opened.inbox.close();
    if (process.platform === 'win32') return;
    expect((await stat(nested)).mode & 0o777).toBe(0o700);
    expect((await stat(join(nested, 'inbox.db'))).mode & 0o777).toBe(0o600);
  });

  it('moves a file that is not a database aside with a message', async () => {
    await writeFile(path, 'these are not the pages you are looking for'.repeat(200));
    const opened = openInbox(path, { now: () => at.getTime() });
    expect(opened.notice).toMatch(
      /^The inbox database is damaged \(.*not a database.*\)\. It was moved to .*inbox\.db\.corrupt-20250301T102030Z and a new, empty inbox was started\.$/,
    );
    expect(await readdir(dir)).toContain('inbox.db.corrupt-20250301T102030Z');
    expect(
      opened.inbox.record({ rule: 'warning', severity: 'warning', cluster: 'c', reason: 'R', message: 'm' }).id,
    ).toBe(1);
    opened.inbox.close();
  });

  it('moves a file whose pages are damaged aside', async () => {
    record(path);
    // Overwrite the middle of the file (table pages) with noise, keeping the header valid.
    const bytes = await readFile(path);
    expect(bytes.length).toBeGreaterThan(8192);
    for (let i = 4096; i < bytes.length; i++) bytes[i] = (i * 7) & 0xff;
    await writeFile(path, bytes);
    const opened = openInbox(path, { now: () => at.getTime() });
    expect(opened.notice).toMatch(/The inbox database is damaged/);
    expect(existsSync(join(dir, 'inbox.db.corrupt-20250301T102030Z'))).toBe(true);
    expect(opened.inbox.list().total).toBe(0);
    opened.inbox.close();
  });

  it('moves aside a file that a step cannot upgrade, and the failed step leaves no half-applied schema', () => {
    record(path);
    record(path, 'PruneFailed');
    // A step that fails on existing data (two items of one cluster) but works on an empty database.
    const unique: Migration = (db) => {
      db.exec('ALTER TABLE items ADD COLUMN half TEXT');
      db.exec('CREATE UNIQUE INDEX one_per_cluster ON items (cluster)');
    };
    const opened = openInbox(path, { migrations: [...INBOX_MIGRATIONS, unique], now: () => at.getTime() });
    expect(opened.notice).toMatch(/could not be upgraded \(step 1 → 2 failed: UNIQUE constraint failed/);
    opened.inbox.close();
    expect(version(path)).toBe(2);
    const old = new DatabaseSync(join(dir, 'inbox.db.unmigratable-20250301T102030Z'));
    const columns = (old.prepare('PRAGMA table_info(items)').all() as { name: string }[]).map((c) => c.name);
    expect(columns).not.toContain('half');
    expect((old.prepare('SELECT count(*) AS n FROM items').get() as { n: number }).n).toBe(2);
    old.close();
  });

  it('falls back to memory, with a notice, when the file cannot be opened at all', async () => {
    await writeFile(join(dir, 'not-a-dir'), '');
    expect(() => openInbox(join(dir, 'not-a-dir', 'inbox.db'))).toThrow(/cannot open the inbox database/);
    const opened = openInbox(join(dir, 'not-a-dir', 'inbox.db'), { fallbackToMemory: true });
    expect(opened.notice).toMatch(/cannot be opened .*; alerts are kept in memory until Fluxdeck restarts/);
    opened.inbox.record({ rule: 'warning', severity: 'warning', cluster: 'c', reason: 'R', message: 'm' });
    expect(opened.inbox.counts().unread).toBe(1);
    opened.inbox.close();
  });
});
