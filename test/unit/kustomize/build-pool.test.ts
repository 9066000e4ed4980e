import { afterEach, describe, expect, it } from 'vitest';

import { WorkerPool } from '../../../main/kustomize/index.ts';
import type { KubeObject } from '../../../main/util/kube-object.ts';

const tree = (value: string): Map<string, string> =>
  new Map([
    ['k/kustomization.yaml', 'resources: [cm.yaml]\n'],
    ['k/cm.yaml', `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {v: "${value}"}\n`],
  ]);

const valueOf = async (p: Promise<KubeObject[]>): Promise<unknown> =>
  ((await p)[0]?.data as { v?: string } | undefined)?.v;

describe('WorkerPool keeps named trees in its workers', () => {
  let pool: WorkerPool | undefined;
  afterEach(() => pool?.close());

  it('builds a tree it holds from the kept copy, and forgets the least recently used beyond three', async () => {
    pool = new WorkerPool({ size: 1 });
    const p = pool;
    expect(await valueOf(p.run({ files: tree('one'), filesKey: 'a', dir: 'k' }))).toBe('one');
    // The same name promises the same files: the worker builds what it kept, not what this request carries.
    expect(await valueOf(p.run({ files: tree('two'), filesKey: 'a', dir: 'k' }))).toBe('one');
    for (const key of ['b', 'c']) await p.run({ files: tree(key), filesKey: key, dir: 'k' });
    // Three trees fit: 'a' is still held, and building it makes it the most recently used.
    expect(await valueOf(p.run({ files: tree('two'), filesKey: 'a', dir: 'k' }))).toBe('one');
    // Three newer trees push it out; the next build of 'a' takes the files it carries.
    for (const key of ['d', 'e', 'f']) await p.run({ files: tree(key), filesKey: key, dir: 'k' });
    expect(await valueOf(p.run({ files: tree('three'), filesKey: 'a', dir: 'k' }))).toBe('three');
  });

  it('builds unnamed files as they are sent, every time', async () => {
    pool = new WorkerPool({ size: 1 });
    expect(await valueOf(pool.run({ files: tree('one'), dir: 'k' }))).toBe('one');
    expect(await valueOf(pool.run({ files: tree('two'), dir: 'k' }))).toBe('two');
  });

  it('gives every build its own tree when many named builds share two workers', async () => {
    pool = new WorkerPool({ size: 2 });
    const p = pool;
    const keys = ['x', 'y', 'z', 'w'];
    const values = await Promise.all(
      Array.from({ length: 40 }, (_, i) => {
        const key = keys[(i * 7) % keys.length] ?? 'x';
        return valueOf(p.run({ files: tree(key), filesKey: key, dir: 'k' }));
      }),
    );
    expect(values).toEqual(Array.from({ length: 40 }, (_, i) => keys[(i * 7) % keys.length]));
  });
});
