import { describe, expect, it } from 'vitest';

import { filterOutTags, scanDue } from '../../../../main/controllers/imagerepository/reconcile.ts';
import { canonicalImageName, imageRepositoryRef } from '../../../../main/controllers/imagerepository/scan.ts';
import { sortTagsDescending, tagsRevision } from '../../../../main/controllers/imagerepository/tag-store.ts';
import type { ImageRepository } from '../../../../main/flux/image.ts';

const repo = (status: ImageRepository['status'], extra: Partial<ImageRepository['spec']> = {}): ImageRepository => ({
  apiVersion: 'image.toolkit.fluxcd.io/v1',
  kind: 'ImageRepository',
  metadata: { name: 'app', namespace: 'ns', annotations: {} },
  spec: { image: 'ghcr.io/org/app', interval: '5m', ...extra },
  ...(status && { status }),
});

const scanned = {
  canonicalImageName: 'ghcr.io/org/app',
  observedExclusionList: ['^.*\\.sig$'],
  lastScanResult: { tagCount: 3, scanTime: '2026-01-01T00:00:00Z' },
};
const at = (iso: string): Date => new Date(iso);

describe('when an ImageRepository scans (Flux shouldScan)', () => {
  it('scans the first time, on a new image or exclusion list, with no stored tags, after the interval', () => {
    expect(scanDue(repo(undefined), 'ghcr.io/org/app', undefined, at('2026-01-01T00:01:00Z')).reason).toBe('first scan');
    expect(scanDue(repo(scanned), 'ghcr.io/org/other', 3, at('2026-01-01T00:01:00Z')).reason).toBe('new image name');
    expect(
      scanDue(repo(scanned, { exclusionList: ['^dev-'] }), 'ghcr.io/org/app', 3, at('2026-01-01T00:01:00Z')).reason,
    ).toBe('updated exclusion list');
    expect(scanDue(repo(scanned), 'ghcr.io/org/app', 0, at('2026-01-01T00:01:00Z')).reason).toBe('no tags in database');
    expect(scanDue(repo(scanned), 'ghcr.io/org/app', 3, at('2026-01-01T00:05:00Z')).reason).toBe('triggered by interval');
  });

  it('waits out the rest of the interval otherwise, and scans on a new reconcile request', () => {
    const due = scanDue(repo(scanned), 'ghcr.io/org/app', 3, at('2026-01-01T00:01:00Z'));
    expect(due).toEqual({ nextMs: 4 * 60_000 });
    const requested = repo({ ...scanned, lastHandledReconcileAt: 'a' });
    requested.metadata.annotations = { 'reconcile.fluxcd.io/requestedAt': 'b' };
    expect(scanDue(requested, 'ghcr.io/org/app', 3, at('2026-01-01T00:01:00Z')).reason).toBe('reconcile requested');
  });
});

describe('tags', () => {
  it('leaves out excluded tags and refuses a bad exclusion pattern', () => {
    expect(filterOutTags(['1.0.0', 'sha256-ab.sig', 'dev-1'], ['^.*\\.sig$', '^dev-'])).toEqual(['1.0.0']);
    expect(() => filterOutTags(['1'], ['('])).toThrow(/failed to compile regex \(/);
  });

  it('computes the revision Flux computes (adler32 of the JSON list, checked against Go)', () => {
    const sorted = sortTagsDescending(['latest', '2.0.0', 'v1.1.5', 'main-def456-1700000900']);
    expect(sorted).toEqual(['v1.1.5', 'main-def456-1700000900', 'latest', '2.0.0']);
    expect(tagsRevision(sorted)).toBe('1559235823');
  });

  it('names the repository canonically and refuses a tag in spec.image', () => {
    expect(canonicalImageName(imageRepositoryRef('stefanprodan/podinfo'))).toBe('index.docker.io/stefanprodan/podinfo');
    expect(canonicalImageName(imageRepositoryRef('nginx'))).toBe('index.docker.io/library/nginx');
    expect(canonicalImageName(imageRepositoryRef('127.0.0.1:5000/a/b'))).toBe('127.0.0.1:5000/a/b');
    expect(() => imageRepositoryRef('ghcr.io/a/b:1.0')).toThrow(/without tag or digest/);
  });
});
