import { describe, expect, it } from 'vitest';

import { hasDirectory } from '../../../main/controllers/kustomization/build.ts';
import { deepEqual, mergePatch } from '../../../main/controllers/status-writer.ts';

describe('mergePatch', () => {
  it('sends only what changed, and nulls what disappeared', () => {
    const before = {
      observedGeneration: 1,
      conditions: [{ type: 'Ready', status: 'True' }],
      includedArtifacts: [{ digest: 'a' }],
      artifact: { revision: 'r1', size: 1 },
    };
    const after = {
      observedGeneration: 2,
      conditions: [{ type: 'Ready', status: 'True' }],
      artifact: { revision: 'r2', size: 1 },
    };
    expect(mergePatch(before, after)).toEqual({
      observedGeneration: 2,
      includedArtifacts: null,
      artifact: { revision: 'r2' },
    });
  });
  it('is empty when nothing changed', () => {
    expect(mergePatch({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toEqual({});
  });
  it('replaces arrays whole (conditions are written as a list)', () => {
    expect(mergePatch({ c: [1, 2] }, { c: [2] })).toEqual({ c: [2] });
  });
  it('compares deeply, ignoring undefined fields', () => {
    expect(deepEqual({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(deepEqual([{ a: 1 }], [{ a: 2 }])).toBe(false);
  });
});

describe('hasDirectory', () => {
  const files = new Map([
    ['apps/base/deploy.yaml', new Uint8Array()],
    ['README.md', new Uint8Array()],
  ]);
  it.each([
    ['./apps', true],
    ['apps/base/', true],
    ['./', true],
    ['', true],
    ['./app', false],
    ['./apps/base/deploy.yaml', false],
  ])('%s → %s', (path, expected) => expect(hasDirectory(files, path)).toBe(expected));
});
