import { createHash } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import type { NotificationEvent } from '../../../main/flux/events.ts';
import { parseSentryDsn, telegramEscape } from '../../../main/notify/providers/message-requests.ts';
import {
  buildProviderRequest,
  eventBody,
  ProviderConfigError,
  type ProviderRequest,
  type ProviderSettings,
} from '../../../main/notify/providers/provider-request.ts';

// The request shapes of notification-controller's chat, incident and observability notifiers
// (internal/notifier/*.go), one pure request per event.

const SHA = '0123456789abcdef0123456789abcdef01234567';
const REV = 'kustomize.toolkit.fluxcd.io/revision';

const event = (over: Partial<NotificationEvent> = {}): NotificationEvent => ({
  involvedObject: {
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    name: 'apps',
    namespace: 'flux-system',
    uid: 'b7a1-22',
  },
  severity: 'info',
  timestamp: '2025-03-10T11:59:00Z',
  message: 'Applied revision: main',
  reason: 'ReconciliationSucceeded',
  metadata: { [REV]: `main@sha1:${SHA}`, env: 'prod' },
  reportingController: 'kustomize-controller',
  ...over,
});
const failed = (): NotificationEvent => event({ severity: 'error', reason: 'HealthCheckFailed', message: 'timeout' });

const build = (
  e: NotificationEvent,
  s: Partial<ProviderSettings> & Pick<ProviderSettings, 'type'>,
): ProviderRequest => {
  const r = buildProviderRequest(e, { address: 'https://chat.example.com/hook', ...s });
  if (!r) throw new Error('expected a request');
  return r;
};
const json = (r: ProviderRequest): unknown => JSON.parse(r.body);
const updateEvent = (): NotificationEvent =>
  event({ metadata: { 'kustomize.toolkit.fluxcd.io/commit_status': 'update' } });

describe('msteams', () => {
  it('a Workflows URL gets the Adaptive Card 1.4: title, message, summary first then facts by key', () => {
    const r = build(event({ metadata: { zeta: 'z', summary: 'prod cluster', alpha: 'a' } }), {
      type: 'msteams',
      address: 'https://prod-28.northeurope.logic.azure.com:443/workflows/x/triggers/manual/paths/invoke',
    });
    expect(r.method).toBe('POST');
    expect(r.url).toBe('https://prod-28.northeurope.logic.azure.com/workflows/x/triggers/manual/paths/invoke');
    expect(r.headers).toEqual({ 'Content-Type': 'application/json' });
    expect(r.body).toBe(
      '{"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive","content":' +
        '{"$schema":"http://adaptivecards.io/schemas/adaptive-card.json","type":"AdaptiveCard","version":"1.4",' +
        '"body":[{"type":"Container","items":[{"type":"TextBlock","text":"kustomization/apps.flux-system",' +
        '"size":"large","weight":"bolder","wrap":true},{"type":"TextBlock","text":"Applied revision: main","wrap":true},' +
        '{"type":"FactSet","facts":[{"title":"summary","value":"prod cluster"},{"title":"alpha","value":"a"},' +
        '{"title":"zeta","value":"z"}]}]}],"msteams":{"width":"Full"}}}]}',
    );
  });

  it('errors are coloured attention; the legacy *.webhook.office.com connector gets the MessageCard', () => {
    const card = json(build(failed(), { type: 'msteams' })) as {
      attachments: { content: { body: { items: { color?: string }[] }[] } }[];
    };
    expect(card.attachments[0]?.content.body[0]?.items[1]?.color).toBe('attention');
    const legacy = build(failed(), { type: 'msteams', address: 'https://xxx.webhook.office.com/webhookb2/1' });
    expect(json(legacy)).toEqual({
      '@type': 'MessageCard',
      '@context': 'http://schema.org/extensions',
      themeColor: 'FF0000',
      summary: 'kustomization/apps.flux-system',
      sections: [
        {
          activityTitle: 'timeout',
          activitySubtitle: 'kustomization/apps.flux-system',
          facts: [
            { name: 'env', value: 'prod' },
            { name: REV, value: `main@sha1:${SHA}` },
          ],
        },
      ],
    });
  });

  it('skips commit status update events', () => {
    expect(buildProviderRequest(updateEvent(), { type: 'msteams', address: 'https://x.example/h' })).toBeUndefined();
  });
});

describe('googlechat, webex, lark, matrix, telegram', () => {
  it('googlechat: a card with the message and TIMESTAMP in Go time format, Progressing skipped', () => {
    const r = build(failed(), { type: 'googlechat' });
    expect(r.url).toBe('https://chat.example.com/hook');
    expect(json(r)).toEqual({
      cards: [
        {
          header: {
            title: 'kustomization/apps.flux-system',
            subtitle: 'kustomize-controller',
            imageUrl: null,
            imageStyle: null,
          },
          sections: [
            {
              header: '',
              widgets: [{ textParagraph: { text: '<font color="#ff0000">timeout</font>' }, keyValue: null }],
            },
            {
              header: '',
              widgets: [
                ['TIMESTAMP', '2025-03-10 11:59:00 +0000 UTC'],
                ['env', 'prod'],
                [REV, `main@sha1:${SHA}`],
              ].map(([topLabel, content]) => ({
                textParagraph: null,
                keyValue: { topLabel, content, contentMultiline: false, bottomLabel: null, icon: null },
              })),
            },
          ],
        },
      ],
    });
    expect(buildProviderRequest(event({ reason: 'Progressing' }), { type: 'googlechat', address: 'https://x/h' })).toBe(
      undefined,
    );
  });

  it('webex: markdown with the room id and a bearer token', () => {
    const r = build(event(), {
      type: 'webex',
      address: 'https://webexapis.com/v1/messages',
      channel: 'room-1',
      token: 't0k',
    });
    expect(r.headers.Authorization).toBe('Bearer t0k');
    expect(r.body).toBe(
      `{"roomId":"room-1","markdown":"✅ **kustomization/apps.flux-system**\\nApplied revision: main\\n` +
        `\\u003e**env**: prod\\n\\u003e**${REV}**: main@sha1:${SHA}\\n"}`,
    );
  });

  it('lark: an interactive card, red for errors', () => {
    expect(json(build(failed(), { type: 'lark' }))).toEqual({
      msg_type: 'interactive',
      card: {
        config: { wide_screen_mode: true },
        header: { title: { tag: 'plain_text', content: '🚨 kustomization/apps.flux-system' }, template: 'red' },
        elements: [
          { tag: 'div', text: { tag: 'lark_md', content: `**timeout**\n\nenv: prod\n${REV}: main@sha1:${SHA}\n` } },
        ],
      },
    });
  });

  it('matrix: PUT to the room with the sha1 of the event JSON as transaction id', () => {
    const e = event();
    const r = build(e, {
      type: 'matrix',
      address: 'https://matrix.example.org',
      channel: '!room:example.org',
      token: 'mx',
    });
    const tx = createHash('sha1').update(eventBody(e)).digest('hex');
    expect(r.method).toBe('PUT');
    expect(r.url).toBe(
      `https://matrix.example.org/_matrix/client/r0/rooms/!room:example.org/send/m.room.message/${tx}`,
    );
    expect(r.headers.Authorization).toBe('Bearer mx');
    expect(json(r)).toEqual({
      body: `💫 kustomization/apps.flux-system\nApplied revision: main\n- env: prod\n- ${REV}: main@sha1:${SHA}\n`,
      msgtype: 'm.text',
    });
  });

  it('telegram: MarkdownV2-escaped text to the Bot API, chat and thread from the channel', () => {
    const r = build(event({ metadata: { env: 'prod-1' } }), {
      type: 'telegram',
      channel: '-100123:42',
      token: '123:ABC',
    });
    expect(r.url).toBe('https://api.telegram.org/bot123:ABC/sendMessage');
    expect(json(r)).toEqual({
      chat_id: '-100123',
      message_thread_id: '42',
      text: '*💫 kustomization/apps/flux\\-system*\nApplied revision: main\n\\- *env*: prod\\-1\n',
      parse_mode: 'MarkdownV2',
    });
    expect(telegramEscape('a.b_c*d!')).toBe('a\\.b\\_c\\*d\\!');
    expect(() => build(event(), { type: 'telegram', token: 't' })).toThrow('empty Telegram channel');
  });
});

describe('alertmanager, grafana, opsgenie, pagerduty, datadog, sentry', () => {
  it('alertmanager: one firing alert, metadata as labels (summary as an annotation), keys sorted', () => {
    const r = build(failed(), { type: 'alertmanager', address: 'https://am.example.com/api/v2/alerts' });
    expect(r.body).toBe(
      JSON.stringify([
        {
          status: 'firing',
          labels: {
            alertname: 'FluxKustomizationHealthCheckFailed',
            env: 'prod',
            kind: 'Kustomization',
            [REV]: `main@sha1:${SHA}`,
            name: 'apps',
            namespace: 'flux-system',
            reason: 'HealthCheckFailed',
            reportingcontroller: 'kustomize-controller',
            severity: 'error',
            timestamp: '2025-03-10 11:59:00 +0000 UTC',
          },
          annotations: { message: 'timeout' },
        },
      ]),
    );
    const withSummary = json(build(event({ metadata: { summary: 'prod' } }), { type: 'alertmanager' })) as {
      labels: Record<string, string>;
      annotations: Record<string, string>;
    }[];
    expect(withSummary[0]?.annotations).toEqual({ message: 'Applied revision: main', summary: 'prod' });
    expect(withSummary[0]?.labels.summary).toBeUndefined();
  });

  it('grafana: an annotation with the flux tag; bearer token wins over basic auth', () => {
    const r = build(event(), { type: 'grafana', address: 'https://grafana.example.com/api/annotations', token: 'g' });
    expect(r.headers.Authorization).toBe('Bearer g');
    expect(json(r)).toEqual({
      when: 1741607940,
      text: 'kustomization/apps.flux-system',
      tags: ['flux', 'kustomize-controller', 'env: prod', `${REV}: main@sha1:${SHA}`],
    });
    const basic = build(event(), { type: 'grafana', username: 'u', password: 'p' });
    expect(basic.headers.Authorization).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
  });

  it('opsgenie: GenieKey auth, details with the severity', () => {
    const r = build(failed(), { type: 'opsgenie', address: 'https://api.opsgenie.com/v2/alerts', token: 'key' });
    expect(r.headers.Authorization).toBe('GenieKey key');
    expect(r.body).toBe(
      `{"message":"Kustomization/apps","description":"timeout","details":{"env":"prod","${REV}":"main@sha1:${SHA}","severity":"error"}}`,
    );
    expect(() => build(failed(), { type: 'opsgenie' })).toThrow('empty Opsgenie apikey/token');
  });

  it('pagerduty: an error triggers an incident keyed by the UID', () => {
    const r = build(failed(), { type: 'pagerduty', address: 'https://events.pagerduty.com/ignored', channel: 'rk' });
    expect(r.url).toBe('https://events.pagerduty.com/v2/enqueue');
    expect(r.then).toBeUndefined();
    expect(json(r)).toEqual({
      routing_key: 'rk',
      event_action: 'trigger',
      dedup_key: 'b7a1-22',
      payload: {
        summary: 'health check failed: kustomization/apps',
        source: 'Flux kustomize-controller',
        severity: 'error',
        timestamp: '2025-03-10T11:59:00Z',
        component: 'apps',
        group: 'Kustomization',
        custom_details: { message: 'timeout', metadata: { env: 'prod', [REV]: `main@sha1:${SHA}` } },
      },
    });
  });

  it('pagerduty: info resolves, then sends a change event; Progressing is skipped', () => {
    const r = build(event(), { type: 'pagerduty', address: 'https://events.pagerduty.com', channel: 'rk' });
    expect(json(r)).toEqual({ routing_key: 'rk', event_action: 'resolve', dedup_key: 'b7a1-22' });
    expect(r.then?.url).toBe('https://events.pagerduty.com/v2/change/enqueue');
    expect(JSON.parse(r.then?.body ?? '')).toEqual({
      routing_key: 'rk',
      payload: {
        source: 'Flux kustomize-controller',
        summary: 'reconciliation succeeded: kustomization/apps',
        timestamp: '2025-03-10T11:59:00Z',
        custom_details: { message: 'Applied revision: main', metadata: { env: 'prod', [REV]: `main@sha1:${SHA}` } },
      },
    });
    expect(buildProviderRequest(event({ reason: 'Progressing' }), { type: 'pagerduty', address: 'https://p' })).toBe(
      undefined,
    );
  });

  it('datadog: the v1 events API on the address host, the API key header, lowercase tags', () => {
    const r = build(failed(), { type: 'datadog', address: 'https://api.datadoghq.eu/whatever', token: 'dd' });
    expect(r.url).toBe('https://api.datadoghq.eu/api/v1/events');
    expect(r.headers).toEqual({ 'Content-Type': 'application/json', Accept: 'application/json', 'DD-API-KEY': 'dd' });
    expect(r.body).toBe(
      JSON.stringify({
        alert_type: 'error',
        date_happened: 1741607940,
        source_type_name: 'fluxcd',
        tags: [
          'flux_reporting_controller:kustomize-controller',
          'flux_reason:healthcheckfailed',
          'kube_kind:kustomization',
          'kube_name:apps',
          'kube_namespace:flux-system',
          'env:prod',
          `${REV}:main@sha1:${SHA}`,
        ],
        text: 'timeout',
        title: 'Events from the Kustomization apps/flux-system',
      }),
    );
    expect(() => build(failed(), { type: 'datadog' })).toThrow('token cannot be empty');
  });

  it('sentry: an envelope to the DSN project with the public key; errors as events, info as transactions', () => {
    expect(parseSentryDsn('https://pub@o1.ingest.sentry.io/42')).toEqual({
      store: 'https://o1.ingest.sentry.io/api/42/envelope/',
      key: 'pub',
    });
    const r = build(failed(), { type: 'sentry', address: 'http://pub@127.0.0.1:9000/sub/7', channel: 'prod' });
    expect(r.url).toBe('http://127.0.0.1:9000/sub/api/7/envelope/');
    expect(r.headers['Content-Type']).toBe('application/x-sentry-envelope');
    expect(r.headers['X-Sentry-Auth']).toMatch(/^Sentry sentry_version=7, sentry_client=\S+, sentry_key=pub$/);
    const [head, itemHead, payload] = r.body.split('\n');
    const item = JSON.parse(payload ?? '') as Record<string, unknown>;
    expect(JSON.parse(itemHead ?? '')).toEqual({ type: 'event', length: Buffer.byteLength(payload ?? '') });
    expect((JSON.parse(head ?? '') as { event_id: string }).event_id).toBe(item.event_id);
    expect(item).toMatchObject({
      environment: 'prod',
      level: 'error',
      message: 'timeout',
      server_name: 'kustomize-controller',
      transaction: 'Kustomization: flux-system/apps',
      extra: { env: 'prod' },
    });
    const info = build(event(), { type: 'sentry', address: 'http://pub@127.0.0.1:9000/7' });
    const [, infoHead, infoPayload] = info.body.split('\n');
    expect(JSON.parse(infoHead ?? '')).toMatchObject({ type: 'transaction' });
    expect(JSON.parse(infoPayload ?? '')).toMatchObject({
      type: 'transaction',
      tags: { flux_reason: 'ReconciliationSucceeded', env: 'prod' },
    });
    expect(() => build(event(), { type: 'sentry', address: 'http://127.0.0.1/7' })).toThrow(ProviderConfigError);
  });
});
