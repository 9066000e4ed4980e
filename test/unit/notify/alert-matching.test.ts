import { describe, expect, it } from 'vitest';

import type { FluxEvent, NotificationEvent } from '../../../main/flux/events.ts';
import type { Alert, AlertSpec } from '../../../main/flux/notification.ts';
import { alertsForEvent, eventForAlert, type LabelsOf } from '../../../main/notify/alert-matching.ts';
import { createEventRateLimiter, eventKey } from '../../../main/notify/event-rate-limit.ts';
import { eventRevision, toNotificationEvent } from '../../../main/notify/notification-event.ts';

const fluxEvent = (over: Partial<FluxEvent> = {}): FluxEvent => ({
  cluster: 'prod',
  object: {
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    namespace: 'flux-system',
    name: 'apps',
    uid: 'u-1',
  },
  type: 'Warning',
  reason: 'BuildFailed',
  message: 'kustomize build failed',
  revision: 'main@sha1:0123456789abcdef0123456789abcdef01234567',
  controller: 'kustomize-controller',
  timestamp: '2025-03-10T11:59:00.456Z',
  ...over,
});

const event = (over: Partial<FluxEvent> = {}): NotificationEvent => toNotificationEvent(fluxEvent(over));

const alert = (name: string, spec: Partial<AlertSpec>, namespace = 'flux-system'): Alert => ({
  apiVersion: 'notification.toolkit.fluxcd.io/v1beta3',
  kind: 'Alert',
  metadata: { name, namespace },
  spec: { providerRef: { name: 'p' }, eventSources: [{ kind: 'Kustomization', name: '*' }], ...spec },
});

const noLabels: LabelsOf = () => ({});
const names = (alerts: Alert[]): string[] => alerts.map((a) => a.metadata.name ?? '');

describe('toNotificationEvent', () => {
  it('gives Flux event JSON: severity from the type, group-prefixed revision, RFC 3339 seconds', () => {
    expect(toNotificationEvent(fluxEvent(), 'fluxdeck')).toEqual({
      involvedObject: {
        apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
        kind: 'Kustomization',
        name: 'apps',
        namespace: 'flux-system',
        uid: 'u-1',
      },
      severity: 'error',
      timestamp: '2025-03-10T11:59:00Z',
      message: 'kustomize build failed',
      reason: 'BuildFailed',
      metadata: { 'kustomize.toolkit.fluxcd.io/revision': 'main@sha1:0123456789abcdef0123456789abcdef01234567' },
      reportingController: 'kustomize-controller',
      reportingInstance: 'fluxdeck',
    });
    const normal = event({ type: 'Normal', revision: undefined });
    expect(normal.severity).toBe('info');
    expect(normal.metadata).toBeUndefined();
  });

  it('reads originRevision before revision', () => {
    const e = event();
    e.metadata = { ...e.metadata, 'kustomize.toolkit.fluxcd.io/originRevision': 'v1@sha1:aaa' };
    expect(eventRevision(e)).toBe('v1@sha1:aaa');
    expect(eventRevision(event())).toBe('main@sha1:0123456789abcdef0123456789abcdef01234567');
  });
});

describe('event rate limiting', () => {
  it('drops the same object, message and revision within the interval, lets it through after', () => {
    let t = 0;
    const limiter = createEventRateLimiter({ intervalMs: 1000, now: () => t });
    expect(limiter.admit(event())).toBe(true);
    t = 999;
    expect(limiter.admit(event())).toBe(false);
    // A different message, revision or object is not a duplicate.
    expect(limiter.admit(event({ message: 'other' }))).toBe(true);
    expect(limiter.admit(event({ revision: 'main@sha1:ffff' }))).toBe(true);
    expect(limiter.admit(event({ object: { ...fluxEvent().object, name: 'infra' } }))).toBe(true);
    t = 1000;
    expect(limiter.admit(event())).toBe(true);
    t = 5000;
    limiter.admit(event({ message: 'late' }));
    expect(limiter.size()).toBe(1);
  });

  it('keys ignore reason and severity, as Flux does', () => {
    expect(eventKey(event({ reason: 'A', type: 'Normal' }))).toBe(eventKey(event({ reason: 'B' })));
  });
});

describe('alertsForEvent', () => {
  it('matches kind, namespace (the Alert namespace by default), name or *', () => {
    const alerts = [
      alert('all', {}),
      alert('named', { eventSources: [{ kind: 'Kustomization', name: 'apps' }] }),
      alert('other-name', { eventSources: [{ kind: 'Kustomization', name: 'infra' }] }),
      alert('other-kind', { eventSources: [{ kind: 'HelmRelease', name: '*' }] }),
      alert('other-ns', {}, 'team-a'),
      alert('cross-ns', { eventSources: [{ kind: 'Kustomization', name: '*', namespace: 'flux-system' }] }, 'team-a'),
      // Flux has no partial globs: `app*` is a literal name.
      alert('partial', { eventSources: [{ kind: 'Kustomization', name: 'app*' }] }),
    ];
    expect(names(alertsForEvent(alerts, event(), noLabels).alerts)).toEqual(['all', 'named', 'cross-ns']);
  });

  it('eventSeverity error takes only errors; info takes both', () => {
    const alerts = [alert('info', { eventSeverity: 'info' }), alert('error', { eventSeverity: 'error' })];
    expect(names(alertsForEvent(alerts, event(), noLabels).alerts)).toEqual(['info', 'error']);
    expect(names(alertsForEvent(alerts, event({ type: 'Normal' }), noLabels).alerts)).toEqual(['info']);
  });

  it('skips suspended Alerts', () => {
    expect(alertsForEvent([alert('s', { suspend: true })], event(), noLabels).alerts).toEqual([]);
  });

  it('matchLabels needs every label on the involved object; an unreadable object is no match with a warning', () => {
    const a = alert('labelled', { eventSources: [{ kind: 'Kustomization', name: '*', matchLabels: { team: 'a' } }] });
    expect(names(alertsForEvent([a], event(), () => ({ team: 'a', x: 'y' })).alerts)).toEqual(['labelled']);
    expect(alertsForEvent([a], event(), () => ({ team: 'b' })).alerts).toEqual([]);
    const missing = alertsForEvent([a], event(), () => undefined);
    expect(missing.alerts).toEqual([]);
    expect(missing.warnings).toEqual([
      {
        alert: { namespace: 'flux-system', name: 'labelled' },
        reason: 'SourceFetchFailed',
        message: 'error getting source object Kustomization/flux-system/apps',
      },
    ]);
  });

  it('inclusionList must match when set; exclusionList wins over it; bad patterns warn', () => {
    const inc = alert('inc', { inclusionList: ['^kustomize .*failed$'] });
    const incMiss = alert('inc-miss', { inclusionList: ['health check'] });
    const exc = alert('exc', { inclusionList: ['failed'], exclusionList: ['build'] });
    const bad = alert('bad', { inclusionList: ['('], exclusionList: ['['] });
    const result = alertsForEvent([inc, incMiss, exc, bad], event(), noLabels);
    expect(names(result.alerts)).toEqual(['inc']);
    expect(result.warnings.map((w) => [w.alert.name, w.reason, w.message])).toEqual([
      ['bad', 'InvalidConfig', 'failed to compile inclusion regex: ('],
    ]);
    const onlyBadExclusion = alert('bad-exc', { exclusionList: ['['] });
    const r2 = alertsForEvent([onlyBadExclusion], event(), noLabels);
    expect(names(r2.alerts)).toEqual(['bad-exc']);
    expect(r2.warnings[0]?.message).toBe('failed to compile exclusion regex: [');
  });
});

describe('eventForAlert', () => {
  it('strips prefixes and applies the precedence annotations < eventMetadata < summary < controller', () => {
    const e = event();
    e.metadata = {
      ...e.metadata,
      'event.toolkit.fluxcd.io/env': 'from-annotation',
      'event.toolkit.fluxcd.io/team': 'platform',
      'other.example.com/x': 'dropped',
    };
    const a = alert('a', { eventMetadata: { env: 'prod', cluster: 'eu-1' }, summary: 'Prod apps' });
    const { event: sent, warning } = eventForAlert(e, a);
    expect(sent.metadata).toEqual({
      env: 'prod',
      team: 'platform',
      cluster: 'eu-1',
      summary: 'Prod apps',
      revision: 'main@sha1:0123456789abcdef0123456789abcdef01234567',
    });
    expect(warning?.reason).toBe('MetadataAppendFailed');
    expect(warning?.message).toMatch(/: env$/);
    // The input event is left as it was.
    expect(e.metadata['kustomize.toolkit.fluxcd.io/revision']).toBeDefined();
  });

  it('controller metadata beats the Alert on a conflict', () => {
    const { event: sent, warning } = eventForAlert(event(), alert('a', { eventMetadata: { revision: 'mine' } }));
    expect(sent.metadata?.revision).toBe('main@sha1:0123456789abcdef0123456789abcdef01234567');
    expect(warning?.message).toMatch(/revision$/);
  });

  it('keeps an event without metadata as it is', () => {
    const e = event({ revision: undefined });
    expect(eventForAlert(e, alert('a', {}))).toEqual({ event: e });
  });
});
