// Commits built from the previous tree (tree-edit.ts, git-index.ts, loose-objects.ts, push-objects.ts), checked
// against the git CLI doing the same edits in a work tree: same tree ids, an index git finds clean, and exactly the
// objects `git rev-list --objects` says a push must send.
import { execFile } from 'node:child_process';
import { chmod, lstat, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { commitPayload } from '../../../main/sources/git/commit-object.ts';
import { decodeIndexEntries, type IndexUpdate, updateIndex } from '../../../main/sources/git/git-index.ts';
import { writeLooseObjects } from '../../../main/sources/git/loose-objects.ts';
import { ObjectStore, parseCommit } from '../../../main/sources/git/object-store.ts';
import { commitsAfter, objectsOfCommits } from '../../../main/sources/git/push-objects.ts';
import { objectId } from '../../../main/sources/git/receive-pack.ts';
import { editTree, type FileEdit, TreeEditError } from '../../../main/sources/git/tree-edit.ts';

const exec = promisify(execFile);
let dir: string;
/** The first commit. */
let first: string;
const git = async (...args: string[]): Promise<string> =>
  (await exec('git', ['-c', 'user.name=T', '-c', 'user.email=t@example.test', '-C', dir, ...args])).stdout.trim();
const put = async (path: string, text: string): Promise<void> => {
  await mkdir(dirname(join(dir, path)), { recursive: true });
  await writeFile(join(dir, path), text);
};
const withStore = <T>(fn: (store: ObjectStore) => T): T => {
  const store = new ObjectStore(join(dir, '.git'));
  try {
    return fn(store);
  } finally {
    store.close();
  }
};

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fluxdeck-tree-edit-'));
  await git('init', '--quiet', '--initial-branch=main');
  await put('apps/a.yaml', 'a: 1\n');
  await put('apps/b.yaml', 'b: 1\n');
  await put('apps/deep/c.yaml', 'c: 1\n');
  await put('apps-x', 'file named like a folder plus a suffix\n');
  await put('run.sh', '#!/bin/sh\n');
  await chmod(join(dir, 'run.sh'), 0o755);
  await symlink('apps/a.yaml', join(dir, 'link.yaml'));
  await git('add', '--all');
  await git('commit', '--quiet', '-m', 'first');
  first = await git('rev-parse', 'HEAD');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a commit made from the previous tree', () => {
  it('builds the tree git builds for edits, additions in new folders and deletions that empty a folder', async () => {
    const head = first;
    const edits = new Map<string, FileEdit>([
      ['apps/a.yaml', { data: Buffer.from('a: 2\n') }],
      ['apps/deep/c.yaml', null],
      ['apps/new/d.yaml', { data: Buffer.from('d: 1\n') }],
      ['apps.yaml', { data: Buffer.from('sorts before apps/ in a tree\n') }],
      ['run.sh', { data: Buffer.from('#!/bin/sh\necho hi\n') }],
    ]);
    const { tree, objects } = withStore((store) =>
      editTree(store, parseCommit(store.readTyped(head, 'commit')).tree, edits),
    );
    await writeLooseObjects(join(dir, '.git'), objects);

    await put('apps/a.yaml', 'a: 2\n');
    await rm(join(dir, 'apps/deep'), { recursive: true });
    await put('apps/new/d.yaml', 'd: 1\n');
    await put('apps.yaml', 'sorts before apps/ in a tree\n');
    await writeFile(join(dir, 'run.sh'), '#!/bin/sh\necho hi\n');
    await git('add', '--all');
    expect(tree).toBe(await git('write-tree'));
    // Only the written blobs and the trees on their paths are new: 3 blobs, root + apps + apps/new.
    expect(objects.map((o) => o.type).sort()).toEqual(['blob', 'blob', 'blob', 'blob', 'tree', 'tree', 'tree']);
    expect(await git('ls-tree', tree, 'run.sh')).toMatch(/^100755 blob /);
    await git('fsck', '--no-progress', '--no-dangling');
  });

  it('refuses to put a file where a folder is, or a folder where a file is', () => {
    withStore((store) => {
      const tree = parseCommit(store.readTyped(first, 'commit')).tree;
      expect(() => editTree(store, tree, new Map([['apps', { data: Buffer.from('x') }]]))).toThrow(TreeEditError);
      expect(() => editTree(store, tree, new Map([['run.sh/x', { data: Buffer.from('x') }]]))).toThrow(
        /run\.sh is a file/,
      );
    });
  });

  it('replaces index entries so that git finds the committed work tree clean, keeping the others as they were', async () => {
    const gitdir = join(dir, '.git');
    const before = decodeIndexEntries(await readFile(join(dir, '.git', 'index'))).entries.map((e) => e.name.toString());
    await put('apps/a.yaml', 'a: 3\n');
    await put('apps/z/new.yaml', 'new: 1\n');
    await rm(join(dir, 'apps/b.yaml'));
    const head = first;
    const a = Buffer.from('a: 3\n');
    const z = Buffer.from('new: 1\n');
    const { tree, objects } = withStore((store) =>
      editTree(
        store,
        parseCommit(store.readTyped(head, 'commit')).tree,
        new Map<string, FileEdit>([
          ['apps/a.yaml', { data: a }],
          ['apps/z/new.yaml', { data: z }],
          ['apps/b.yaml', null],
        ]),
      ),
    );
    const person = { name: 'T', email: 't@example.test', time: 1_700_000_000, zoneMinutes: 90 };
    const commit = {
      type: 'commit' as const,
      data: Buffer.from(commitPayload({ tree, parents: [head], author: person, committer: person, message: 'm' })),
    };
    await writeLooseObjects(gitdir, [commit, ...objects]);
    await git('update-ref', 'refs/heads/main', objectId(commit));
    const entry = async (path: string, data: Buffer): Promise<IndexUpdate> => ({
      file: { path, oid: objectId({ type: 'blob', data }), mode: 0o100644 },
      stat: await lstat(join(dir, path)),
    });
    await updateIndex(
      gitdir,
      new Map([
        ['apps/a.yaml', await entry('apps/a.yaml', a)],
        ['apps/z/new.yaml', await entry('apps/z/new.yaml', z)],
        ['apps/b.yaml', null],
      ]),
    );
    expect(await git('status', '--porcelain')).toBe('');
    expect(await git('log', '-1', '--format=%ai')).toBe('2023-11-14 23:43:20 +0130');
    expect(
      decodeIndexEntries(await readFile(join(dir, '.git', 'index'))).entries.map((e) => e.name.toString()),
    ).toEqual([...before.filter((p) => p !== 'apps/b.yaml'), 'apps/z/new.yaml'].sort());
    await git('fsck', '--no-progress', '--no-dangling');
  });

  it('lists exactly the objects a push of local commits must send, as git rev-list does', async () => {
    const base = first;
    await put('apps/a.yaml', 'a: 4\n');
    await git('commit', '--quiet', '-am', 'two');
    await put('apps/deep/more/e.yaml', 'e: 1\n');
    await rm(join(dir, 'apps/b.yaml'));
    await git('add', '--all');
    await git('commit', '--quiet', '-m', 'three');
    const tip = await git('rev-parse', 'HEAD');
    const expected = (await git('rev-list', '--objects', `${base}..${tip}`))
      .split('\n')
      .map((l) => l.split(' ')[0])
      .sort();
    withStore((store) => {
      const commits = commitsAfter(store, tip, base);
      expect(commits).toHaveLength(2);
      const objects = objectsOfCommits(store, commits ?? []);
      expect(objects.map((o) => objectId(o)).sort()).toEqual(expected);
      expect(commitsAfter(store, base, tip)).toBeUndefined();
    });
  });
});
