import { describe, expect, it } from 'vitest';

import type { InboxItem } from '../../../main/notify/inbox-types.ts';
import { type OsFilter, osFilterAllows } from '../../../main/notify/os-notification-filter.ts';

// The user's local filter for OS notifications, matched by Flux's Alert code: severity, kinds, names (exact or `*`),
// namespaces, then inclusion and exclusion regexes on the message.

const all: OsFilter = {
  eventSeverity: 'info',
  kinds: [],
  names: [],
  namespaces: [],
  inclusionList: [],
  exclusionList: [],
};

const item = (over: Partial<InboxItem> = {}): InboxItem => ({
  id: 1,
  rule: 'reconcile-failed',
  severity: 'error',
  cluster: 'prod',
  object: { kind: 'Kustomization', namespace: 'flux-system', name: 'apps' },
  reason: 'BuildFailed',
  message: 'kustomize build failed: accumulating resources',
  count: 1,
  firstSeen: '2026-01-01T00:00:00Z',
  lastSeen: '2026-01-01T00:00:00Z',
  read: false,
  acknowledged: false,
  muted: false,
  ...over,
});

describe('osFilterAllows', () => {
  it('lets everything through with eventSeverity info and no other rule', () => {
    expect(osFilterAllows(all, item())).toBe(true);
    expect(osFilterAllows(all, item({ severity: 'warning', rule: 'drift-corrected' }))).toBe(true);
    expect(osFilterAllows(all, item({ object: undefined, rule: 'cluster-auth' }))).toBe(true);
  });

  it('keeps errors only with eventSeverity error, as an Alert does (warnings are info events)', () => {
    const errors = { ...all, eventSeverity: 'error' as const };
    expect(osFilterAllows(errors, item())).toBe(true);
    expect(osFilterAllows(errors, item({ severity: 'warning' }))).toBe(false);
    expect(osFilterAllows(errors, item({ severity: 'info' }))).toBe(false);
  });

  it('matches kinds, exact names or *, and namespaces', () => {
    const f = { ...all, kinds: ['HelmRelease', 'Kustomization'], names: ['apps'], namespaces: ['flux-system'] };
    expect(osFilterAllows(f, item())).toBe(true);
    expect(osFilterAllows(f, item({ object: { kind: 'GitRepository', namespace: 'flux-system', name: 'apps' } }))).toBe(
      false,
    );
    expect(
      osFilterAllows(f, item({ object: { kind: 'Kustomization', namespace: 'flux-system', name: 'apps-2' } })),
    ).toBe(false);
    expect(osFilterAllows(f, item({ object: { kind: 'Kustomization', namespace: 'team-a', name: 'apps' } }))).toBe(
      false,
    );
    // Flux has no partial globs: `app*` is a name, only a whole `*` is a wildcard.
    expect(osFilterAllows({ ...all, names: ['app*'] }, item())).toBe(false);
    expect(osFilterAllows({ ...all, names: ['*'] }, item())).toBe(true);
  });

  it('applies the inclusion list, then the exclusion list, to the message', () => {
    expect(osFilterAllows({ ...all, inclusionList: ['^kustomize build'] }, item())).toBe(true);
    expect(osFilterAllows({ ...all, inclusionList: ['health check'] }, item())).toBe(false);
    expect(osFilterAllows({ ...all, inclusionList: ['build'], exclusionList: ['accumulating'] }, item())).toBe(false);
    expect(osFilterAllows({ ...all, exclusionList: ['nothing like this'] }, item())).toBe(true);
  });

  it('ignores a pattern that does not compile, as Flux does (InvalidConfig), instead of throwing', () => {
    expect(osFilterAllows({ ...all, inclusionList: ['('] }, item())).toBe(false);
    expect(osFilterAllows({ ...all, exclusionList: ['('] }, item())).toBe(true);
  });

  it('matches items about no object (a cluster) only when no kind is asked for, or the kind Cluster', () => {
    const auth = item({ object: undefined, rule: 'cluster-auth' });
    expect(osFilterAllows({ ...all, kinds: ['Kustomization'] }, auth)).toBe(false);
    expect(osFilterAllows({ ...all, kinds: ['Cluster'] }, auth)).toBe(true);
  });
});
