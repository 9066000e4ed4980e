// The Bucket revision and index as source-controller computes them, and where objects may land in the artifact.
import { describe, expect, it } from 'vitest';

import {
  bucketIgnoreMatcher,
  buildIndex,
  indexRevision,
  objectPath,
} from '../../../../main/sources/bucket/bucket-index.ts';
import { archiveItemsOf } from '../../../../main/sources/bucket/bucket-source.ts';
import { ObjectCache } from '../../../../main/sources/bucket/object-cache.ts';

const obj = (key: string, etag = 'e', size = 1): { key: string; etag: string; size: number } => ({ key, etag, size });

describe('indexRevision', () => {
  it('is sha256 over "<key> <etag>\\n" lines in byte order of keys (values from printf | sha256sum)', () => {
    const index = new Map([
      ['z.yaml', { etag: 'e1' }],
      ['B', { etag: 'e2' }],
      ['a/b.yaml', { etag: 'e3' }],
    ]);
    expect(indexRevision(index)).toBe('sha256:a139288c8c787840c511c00ad4c8d04c57f299f74c9cf7eaf0e9cb81739c48f2');
  });

  it('sorts by UTF-8 bytes as Go does, not by UTF-16 code units', () => {
    // U+FFFD sorts before U+1F600 in UTF-8 (EF.. < F0..) but after it in UTF-16 (FFFD > D83D).
    const index = new Map([
      ['\u{1F600}', { etag: 'y' }],
      ['\uFFFD', { etag: 'x' }],
    ]);
    expect(indexRevision(index)).toBe('sha256:4e58b23243e411e715261326548c8171a4bb21a427e4033b140d5411a593d267');
  });

  it('of an empty bucket is the digest of nothing', () => {
    expect(indexRevision(new Map())).toBe('sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});

describe('buildIndex', () => {
  it('leaves out directory markers, the root .sourceignore and ignored keys', () => {
    const matcher = bucketIgnoreMatcher('*.md\n# comment\n', undefined);
    const index = buildIndex(
      [obj('dir/'), obj('.sourceignore'), obj('README.md'), obj('app/deploy.yaml'), obj('sub/.sourceignore')],
      matcher,
    );
    expect([...index.keys()]).toEqual(['app/deploy.yaml', 'sub/.sourceignore']);
  });

  it('lets spec.ignore override the .sourceignore object (last match wins)', () => {
    const matcher = bucketIgnoreMatcher('*.yaml\n', '!keep.yaml\n');
    const index = buildIndex([obj('drop.yaml'), obj('keep.yaml')], matcher);
    expect([...index.keys()]).toEqual(['keep.yaml']);
  });

  it('has no built-in exclusions, unlike a GitRepository (Flux archives buckets unfiltered)', () => {
    const index = buildIndex(
      [obj('logo.png'), obj('.github/workflows/ci.yml')],
      bucketIgnoreMatcher(undefined, undefined),
    );
    expect(index.size).toBe(2);
  });
});

describe('objectPath', () => {
  it('keeps ordinary keys and confines a leading slash or empty segments to the root', () => {
    expect(objectPath('a/b.yaml')).toBe('a/b.yaml');
    expect(objectPath('/abs/x.yaml')).toBe('abs/x.yaml');
    expect(objectPath('a//./b')).toBe('a/b');
  });

  it.each(['../x.yaml', 'a/../../etc/passwd', 'a/..', '..', 'C:/x', 'a\\..\\b', '/', '.'])(
    'refuses %j, which could leave the artifact root',
    (key) => {
      expect(() => objectPath(key)).toThrow(expect.objectContaining({ reason: 'InvalidPath' }));
    },
  );
});

describe('archiveItemsOf', () => {
  const cache = new ObjectCache('/nonexistent');

  it('lists directories before their contents, names in byte order', () => {
    const { items, files } = archiveItemsOf([obj('b.yaml'), obj('a/z.yaml'), obj('a/c/d.yaml'), obj('B.yaml')], cache);
    expect(files.map((o) => o.key)).toEqual(['B.yaml', 'a/c/d.yaml', 'a/z.yaml', 'b.yaml']);
    expect(items.map((i) => `${i.type}:${i.path}`)).toEqual([
      'file:B.yaml',
      'dir:a',
      'dir:a/c',
      'file:a/c/d.yaml',
      'file:a/z.yaml',
      'file:b.yaml',
    ]);
  });

  it('refuses a key that is both a file and a directory', () => {
    expect(() => archiveItemsOf([obj('a'), obj('a/b')], cache)).toThrow(/collides/);
  });
});
