/**
 * The bucket's object index and revision, as source-controller computes them (internal/index/digest.go and
 * bucket_controller.go fetchEtagIndex): every listed key that does not end in `/`, is not the root `.sourceignore` and
 * is not excluded by the ignore rules, mapped to its ETag; the revision is `sha256:` of the lines `<key> <etag>\n` in
 * Go's byte order of keys. Pure.
 */
import { createHash } from 'node:crypto';

import { IgnoreMatcher, readPatterns } from '../artifacts/ignore-pattern.ts';
import { compareBytes, IGNORE_FILE } from '../artifacts/source-ignore.ts';
import { BucketError, BucketReason } from './bucket-error.ts';
import type { ListedObject } from './s3-xml.ts';

export { IGNORE_FILE };

/**
 * The ignore rules of a bucket: the root `.sourceignore` object's patterns, then `spec.ignore` (which wins). Unlike
 * a GitRepository there are no built-in exclusions: Flux matches bucket keys with the user's patterns only.
 */
export function bucketIgnoreMatcher(sourceIgnore: string | undefined, specIgnore: string | undefined): IgnoreMatcher {
  return new IgnoreMatcher([
    ...(sourceIgnore === undefined ? [] : readPatterns(sourceIgnore)),
    ...(specIgnore === undefined ? [] : readPatterns(specIgnore)),
  ]);
}

/** The indexed objects by key, in the order Flux hashes them. */
export function buildIndex(objects: readonly ListedObject[], matcher: IgnoreMatcher): Map<string, ListedObject> {
  const kept = objects.filter(
    (o) => !o.key.endsWith('/') && o.key !== IGNORE_FILE && !matcher.ignores(o.key.split('/'), false),
  );
  kept.sort((a, b) => compareBytes(a.key, b.key));
  return new Map(kept.map((o) => [o.key, o]));
}

/** `sha256:<hex>` over `<key> <etag>\n` lines in byte order of keys (Flux's Digester.Digest). */
export function indexRevision(index: ReadonlyMap<string, { etag: string }>): string {
  const hash = createHash('sha256');
  for (const key of [...index.keys()].sort(compareBytes)) hash.update(`${key} ${index.get(key)?.etag ?? ''}\n`, 'utf8');
  return `sha256:${hash.digest('hex')}`;
}

/**
 * Where an object lands inside the artifact: the key with empty and `.` segments dropped, so a leading `/` stays
 * inside the root (as Go's filepath.Join in Flux). A key that climbs with `..`, or holds a drive letter or a
 * backslash (a path separator on Windows), could land outside the artifact root, so it is refused, naming the key.
 */
export function objectPath(key: string): string {
  const parts: string[] = [];
  const escape = (): BucketError =>
    new BucketError(
      BucketReason.InvalidPath,
      `object key '${key}' would be written outside the artifact root; rename it or exclude it with spec.ignore`,
    );
  if (key.includes('\\') || /^[A-Za-z]:/.test(key)) throw escape();
  for (const part of key.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') throw escape();
    parts.push(part);
  }
  if (parts.length === 0) throw escape();
  return parts.join('/');
}
