import { describe, expect, it } from 'vitest';

import {
  addNode,
  applyInclude,
  archiveItems,
  type DirNode,
  newDir,
  resolveLinks,
  type SourceNode,
} from '../../../main/sources/artifacts/source-tree.ts';
import { readTar, safeRelative, tarEntryBlocks, tarTrailer } from '../../../main/sources/artifacts/tar-format.ts';

/** Builds a node tree from paths: a string is a file, `{ symlink }` a link. */
function tree(entries: Record<string, string | { symlink: string }>): DirNode {
  const root = newDir();
  for (const [path, v] of Object.entries(entries)) {
    const node: SourceNode =
      typeof v === 'string'
        ? { kind: 'file', executable: false, read: () => Buffer.from(v) }
        : { kind: 'link', target: v.symlink };
    addNode(root, path, node);
  }
  return root;
}

const files = (root: DirNode, ignore?: string): string[] =>
  archiveItems(root, ignore).flatMap((i) => (i.type === 'file' ? [i.path] : [`${i.path}/`]));

describe('links', () => {
  it('copies in-repository targets, drops broken links, and follows links through linked directories', () => {
    const root = tree({
      'base/cm.yaml': 'cm',
      'base/nested/n.yaml': 'n',
      current: { symlink: 'base' },
      deep: { symlink: 'current/nested/n.yaml' },
      'up/file': { symlink: '../base/cm.yaml' },
      gone: { symlink: 'missing' },
    });
    expect(resolveLinks(root)).toEqual(['gone']);
    expect(files(root)).toEqual([
      'base/',
      'base/cm.yaml',
      'base/nested/',
      'base/nested/n.yaml',
      'current/',
      'current/cm.yaml',
      'current/nested/',
      'current/nested/n.yaml',
      'deep',
      'up/',
      'up/file',
    ]);
  });

  it('refuses links that leave the repository or loop, unless ignored', () => {
    const outside = tree({ 'a.yaml': 'a', passwd: { symlink: '../../etc/passwd' }, abs: { symlink: '/etc/hosts' } });
    resolveLinks(outside);
    expect(() => files(outside)).toThrow(/symlink 'abs' points outside the repository/);
    expect(files(outside, 'abs\npasswd\n')).toEqual(['a.yaml']);

    const loop = tree({ 'd/x.yaml': 'x', 'd/self': { symlink: '..' } });
    resolveLinks(loop);
    expect(() => files(loop)).toThrow(/symlink cycle at 'd\/self'/);
  });
});

describe('includes', () => {
  const included = [
    { path: 'base/k.yaml', data: Buffer.from('k'), executable: false },
    { path: 'other/o.yaml', data: Buffer.from('o'), executable: false },
  ];

  it('copies fromPath into toPath, defaulting toPath to the repository name', () => {
    const root = tree({ 'app.yaml': 'a' });
    applyInclude(root, { name: 'shared', files: included, fromPath: './base/' });
    applyInclude(root, { name: 'copy', files: included, fromPath: 'other/o.yaml', toPath: 'single.yaml' });
    expect(files(root)).toEqual(['app.yaml', 'shared/', 'shared/k.yaml', 'single.yaml']);
  });

  it('refuses paths that leave the repository and reports a missing fromPath', () => {
    expect(() => applyInclude(tree({}), { name: 'x', files: included, toPath: '../out' })).toThrow(
      /toPath '..\/out' leaves/,
    );
    expect(() => applyInclude(tree({}), { name: 'x', files: included, fromPath: '../../etc' })).toThrow(/fromPath/);
    expect(() => applyInclude(tree({}), { name: 'x', files: included, fromPath: 'nope' })).toThrow(
      /'nope' does not exist/,
    );
  });
});

describe('tar format', () => {
  it('round-trips long names through PAX records and is byte-for-byte stable', () => {
    const long = `${'deep/'.repeat(40)}file.yaml`;
    const make = (): Buffer =>
      Buffer.concat([
        ...tarEntryBlocks({ path: 'dir', type: 'dir' }),
        ...tarEntryBlocks({ path: long, type: 'file' }, Buffer.from('long')),
        ...tarEntryBlocks({ path: 'x.sh', type: 'file', executable: true }, Buffer.from('#!/bin/sh\n')),
        tarTrailer(),
      ]);
    const a = make();
    expect(a.equals(make())).toBe(true);
    const read = readTar(a);
    expect(read.map((f) => [f.path, f.data.toString(), f.executable])).toEqual([
      [long, 'long', false],
      ['x.sh', '#!/bin/sh\n', true],
    ]);
  });

  it('refuses entries that would land outside the root', () => {
    expect(() => safeRelative('../x')).toThrow(/climbs out/);
    expect(() => safeRelative('/etc/passwd')).toThrow(/absolute/);
    expect(safeRelative('./a//b/')).toBe('a/b');
  });
});
