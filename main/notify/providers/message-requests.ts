/**
 * The chat, incident and observability Providers as notification-controller's notifiers build their requests
 * (internal/notifier/teams.go, google_chat.go, webex.go, telegram.go, matrix.go, lark.go, alertmanager.go,
 * grafana.go, opsgenie.go, pagerduty.go, datadog.go, sentry.go). Where Flux ranges over the metadata map (random
 * order in Go), the keys are sorted so a body is stable; where Flux marshals a map, keys are in encoding/json order.
 */
import { createHash, randomBytes } from 'node:crypto';

import type { NotificationEvent } from '../../flux/events.ts';
import { goJson } from './go-json.ts';
import {
  basicAuth,
  describeReason,
  eventBody,
  goMap,
  goTimeText,
  JSON_HEADERS,
  objectTitle,
  ProviderConfigError,
  type ProviderRequest,
  type ProviderSettings,
  requireUrl,
  sortedEntries,
  unixSeconds,
} from './provider-types.ts';

const post = (url: string, headers: Record<string, string>, body: string): ProviderRequest => ({
  method: 'POST',
  url,
  headers: { ...JSON_HEADERS, ...headers },
  body,
});

const isError = (event: NotificationEvent): boolean => event.severity === 'error';

/** Teams: the Adaptive Card (1.4) for Workflows webhooks; the legacy MessageCard for `*.webhook.office.com`. */
function msteams(event: NotificationEvent, s: ProviderSettings): ProviderRequest {
  const u = requireUrl(s.address, 'MS Teams webhook');
  const title = objectTitle(event);
  if (u.hostname.endsWith('.webhook.office.com')) {
    return post(
      u.href,
      {},
      goJson({
        '@type': 'MessageCard',
        '@context': 'http://schema.org/extensions',
        themeColor: isError(event) ? 'FF0000' : '0076D7',
        summary: title,
        sections: [
          {
            activityTitle: event.message,
            activitySubtitle: title,
            facts: sortedEntries(event.metadata).map(([name, value]) => ({ name, value })),
          },
        ],
      }),
    );
  }
  // `summary` first, then the rest by key (buildMSTeamsAdaptiveCardPayload).
  const meta = event.metadata ?? {};
  const facts = [
    ...(meta.summary !== undefined ? [{ title: 'summary', value: meta.summary }] : []),
    ...sortedEntries(meta)
      .filter(([k]) => k !== 'summary')
      .map(([title, value]) => ({ title, value })),
  ];
  const message = {
    type: 'TextBlock',
    text: event.message,
    ...(isError(event) ? { color: 'attention' } : {}),
    wrap: true,
  };
  const items = [
    { type: 'TextBlock', text: title, size: 'large', weight: 'bolder', wrap: true },
    message,
    // `facts` is omitempty in Flux's struct.
    facts.length > 0 ? { type: 'FactSet', facts } : { type: 'FactSet' },
  ];
  return post(
    u.href,
    {},
    goJson({
      type: 'message',
      attachments: [
        {
          contentType: 'application/vnd.microsoft.card.adaptive',
          content: {
            $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
            type: 'AdaptiveCard',
            version: '1.4',
            body: [{ type: 'Container', items }],
            msteams: { width: 'Full' },
          },
        },
      ],
    }),
  );
}

function googlechat(event: NotificationEvent, s: ProviderSettings): ProviderRequest | undefined {
  // Flux skips Progressing: Google Chat would replace the meaningful message with it.
  if (event.reason === 'Progressing') return undefined;
  const u = requireUrl(s.address, 'Google Chat hook');
  const keyValue = (topLabel: string, content: string): unknown => ({
    textParagraph: null,
    keyValue: { topLabel, content, contentMultiline: false, bottomLabel: null, icon: null },
  });
  const text = isError(event) ? `<font color="#ff0000">${event.message}</font>` : event.message;
  return post(
    u.href,
    {},
    goJson({
      cards: [
        {
          header: { title: objectTitle(event), subtitle: event.reportingController, imageUrl: null, imageStyle: null },
          sections: [
            { header: '', widgets: [{ textParagraph: { text }, keyValue: null }] },
            {
              header: '',
              widgets: [
                keyValue('TIMESTAMP', goTimeText(event.timestamp)),
                ...sortedEntries(event.metadata).map(([k, v]) => keyValue(k, v)),
              ],
            },
          ],
        },
      ],
    }),
  );
}

function webex(event: NotificationEvent, s: ProviderSettings): ProviderRequest {
  const u = requireUrl(s.address, 'Webex hook');
  let markdown = `${isError(event) ? '💣' : '✅'} **${objectTitle(event)}**\n${event.message}\n`;
  for (const [k, v] of sortedEntries(event.metadata)) markdown += `>**${k}**: ${v}\n`;
  return post(
    u.href,
    { Authorization: `Bearer ${s.token ?? ''}` },
    goJson({ ...(s.channel ? { roomId: s.channel } : {}), markdown }),
  );
}

/** Telegram's MarkdownV2 escaping as Flux does it (each special character gets a backslash). */
export function telegramEscape(text: string): string {
  return text.replace(/[\\.\-_[\]()~>`#+=|{}!*]/g, (c) => `\\${c}`);
}

function telegram(event: NotificationEvent, s: ProviderSettings): ProviderRequest {
  if (!s.channel) throw new ProviderConfigError('empty Telegram channel');
  if (!s.token) throw new ProviderConfigError('empty Telegram token');
  const o = event.involvedObject;
  const heading = `${isError(event) ? '🚨' : '💫'} ${o.kind.toLowerCase()}/${o.name}/${o.namespace}`;
  let metadata = '';
  for (const [k, v] of sortedEntries(event.metadata)) metadata += `\\- *${telegramEscape(k)}*: ${telegramEscape(v)}\n`;
  const text = `*${telegramEscape(heading)}*\n${telegramEscape(event.message)}\n${metadata}`;
  const colon = s.channel.indexOf(':');
  const chatId = colon < 0 ? s.channel : s.channel.slice(0, colon);
  const thread = colon < 0 ? undefined : s.channel.slice(colon + 1);
  // Flux always talks to the Bot API (the address is not used); the token is part of the path.
  return post(
    `https://api.telegram.org/bot${s.token}/sendMessage`,
    {},
    goJson({ chat_id: chatId, ...(thread ? { message_thread_id: thread } : {}), text, parse_mode: 'MarkdownV2' }),
  );
}

function matrix(event: NotificationEvent, s: ProviderSettings): ProviderRequest {
  requireUrl(s.address, 'Matrix homeserver');
  // The transaction id is the sha1 of the event JSON: a resend of the same event is deduplicated by the server.
  const txId = createHash('sha1').update(eventBody(event)).digest('hex');
  let metadata = '';
  for (const [k, v] of sortedEntries(event.metadata)) metadata += `- ${k}: ${v}\n`;
  const heading = `${isError(event) ? '🚨' : '💫'} ${objectTitle(event)}`;
  return {
    method: 'PUT',
    url: `${s.address}/_matrix/client/r0/rooms/${s.channel ?? ''}/send/m.room.message/${txId}`,
    headers: { ...JSON_HEADERS, Authorization: `Bearer ${s.token ?? ''}` },
    body: goJson({ body: `${heading}\n${event.message}\n${metadata}`, msgtype: 'm.text' }),
  };
}

function lark(event: NotificationEvent, s: ProviderSettings): ProviderRequest {
  const u = requireUrl(s.address, 'Lark hook');
  let content = `**${event.message}**\n\n`;
  for (const [k, v] of sortedEntries(event.metadata)) content += `${k}: ${v}\n`;
  return post(
    u.href,
    {},
    goJson({
      msg_type: 'interactive',
      card: {
        config: { wide_screen_mode: true },
        header: {
          title: { tag: 'plain_text', content: `${isError(event) ? '🚨' : '💫'} ${objectTitle(event)}` },
          template: isError(event) ? 'red' : 'turquoise',
        },
        elements: [{ tag: 'div', text: { tag: 'lark_md', content } }],
      },
    }),
  );
}

/** Go's strings.Title on a reason (no spaces in practice): the first letter of each word upper-cased. */
const title = (text: string): string =>
  text.replace(/(^|\s)(\S)/g, (_m, sp: string, c: string) => sp + c.toUpperCase());

function alertmanager(event: NotificationEvent, s: ProviderSettings): ProviderRequest {
  const u = requireUrl(s.address, 'Alertmanager');
  const o = event.involvedObject;
  const { summary, ...rest } = event.metadata ?? {};
  const labels: Record<string, string> = {
    ...rest,
    alertname: `Flux${o.kind}${title(event.reason)}`,
    severity: event.severity,
    reason: event.reason,
    timestamp: goTimeText(event.timestamp),
    kind: o.kind,
    name: o.name,
    namespace: o.namespace,
    reportingcontroller: event.reportingController,
  };
  const annotations = goMap({ message: event.message, ...(summary !== undefined ? { summary } : {}) });
  return post(u.href, {}, goJson([{ status: 'firing', labels: goMap(labels), annotations }]));
}

function grafana(event: NotificationEvent, s: ProviderSettings): ProviderRequest {
  const u = requireUrl(s.address, 'Grafana');
  const headers: Record<string, string> = {};
  if (s.token) headers.Authorization = `Bearer ${s.token}`;
  else if (s.username && s.password) headers.Authorization = basicAuth(s.username, s.password);
  const tags = ['flux', event.reportingController, ...sortedEntries(event.metadata).map(([k, v]) => `${k}: ${v}`)];
  return post(u.href, headers, goJson({ when: unixSeconds(event.timestamp), text: objectTitle(event), tags }));
}

function opsgenie(event: NotificationEvent, s: ProviderSettings): ProviderRequest {
  const u = requireUrl(s.address, 'Opsgenie hook');
  if (!s.token) throw new ProviderConfigError('empty Opsgenie apikey/token');
  const o = event.involvedObject;
  return post(
    u.href,
    { Authorization: `GenieKey ${s.token}` },
    goJson({
      message: `${o.kind}/${o.name}`,
      description: event.message,
      details: goMap({ ...(event.metadata ?? {}), severity: event.severity }),
    }),
  );
}

/** PagerDuty Events API v2: resolve (info) or trigger (error) keyed by the object's UID; info adds a change event. */
function pagerduty(event: NotificationEvent, s: ProviderSettings): ProviderRequest | undefined {
  if (event.reason === 'Progressing') return undefined;
  const u = requireUrl(s.address, 'PagerDuty endpoint');
  const endpoint = `${u.protocol}//${u.host}`;
  const o = event.involvedObject;
  const summary = `${describeReason(event.reason)}: ${`${o.kind}/${o.name}`.toLowerCase()}`;
  const source = `Flux ${event.reportingController}`;
  const details = { message: event.message, metadata: event.metadata ? goMap(event.metadata) : null };
  const timestamp = event.timestamp;
  const alert = {
    routing_key: s.channel ?? '',
    event_action: isError(event) ? 'trigger' : 'resolve',
    ...(o.uid ? { dedup_key: o.uid } : {}),
    ...(isError(event)
      ? {
          payload: {
            summary,
            source,
            severity: 'error',
            timestamp,
            component: o.name,
            group: o.kind,
            custom_details: details,
          },
        }
      : {}),
  };
  const first = post(`${endpoint}/v2/enqueue`, {}, goJson(alert));
  if (isError(event)) return first;
  const change = {
    routing_key: s.channel ?? '',
    payload: { source, summary, timestamp, custom_details: details },
  };
  return { ...first, then: post(`${endpoint}/v2/change/enqueue`, {}, goJson(change)) };
}

/** Datadog's v1 events API (datadog-api-client-go marshals the request as a map: keys sorted). */
function datadog(event: NotificationEvent, s: ProviderSettings): ProviderRequest {
  const token = s.token;
  if (!token) throw new ProviderConfigError('token cannot be empty');
  const u = requireUrl(s.address, 'DataDog');
  const o = event.involvedObject;
  const tags = [
    `flux_reporting_controller:${event.reportingController}`,
    `flux_reason:${event.reason}`,
    `kube_kind:${o.kind}`,
    `kube_name:${o.name}`,
    `kube_namespace:${o.namespace}`,
    ...sortedEntries(event.metadata).map(([k, v]) => `${k}:${v}`),
  ].map((t) => t.toLowerCase());
  return post(
    `${u.protocol}//${u.host}/api/v1/events`,
    { Accept: 'application/json', 'DD-API-KEY': token },
    goJson({
      alert_type: isError(event) ? 'error' : 'info',
      date_happened: unixSeconds(event.timestamp),
      source_type_name: 'fluxcd',
      tags,
      text: event.message,
      title: `Events from the ${o.kind} ${o.name}/${o.namespace}`,
    }),
  );
}

/** A Sentry DSN: `<scheme>://<public key>@<host>[/<path>]/<project id>`. */
export function parseSentryDsn(dsn: string): { store: string; key: string } {
  const u = requireUrl(dsn, 'Sentry DSN');
  const parts = u.pathname.split('/').filter(Boolean);
  const project = parts.pop();
  if (!u.username || !project)
    throw new ProviderConfigError(`invalid Sentry DSN '${u.protocol}//${u.host}${u.pathname}'`);
  const path = parts.length > 0 ? `/${parts.join('/')}` : '';
  return { store: `${u.protocol}//${u.host}${path}/api/${project}/envelope/`, key: u.username };
}

/**
 * Sentry through its envelope endpoint, as sentry-go's HTTP transport sends: errors as events, info events as a
 * transaction with one span (Flux's `eventToSpan`), `spec.channel` as the environment. The SDK's own fields
 * (contexts of the host, breadcrumbs) are not reproduced.
 */
function sentry(event: NotificationEvent, s: ProviderSettings, id = randomBytes(16).toString('hex')): ProviderRequest {
  const { store, key } = parseSentryDsn(s.address);
  const o = event.involvedObject;
  const transaction = `${o.kind}: ${o.namespace}/${o.name}`;
  const common = {
    event_id: id,
    ...(s.channel ? { environment: s.channel } : {}),
    message: event.message,
    platform: 'go',
    timestamp: event.timestamp,
    transaction,
  };
  const item = isError(event)
    ? { ...common, extra: goMap(event.metadata ?? {}), level: 'error', server_name: event.reportingController }
    : {
        ...common,
        type: 'transaction',
        start_timestamp: event.timestamp,
        contexts: { trace: { op: 'event', span_id: id.slice(0, 16), trace_id: id } },
        tags: goMap({
          flux_involved_object_kind: o.kind,
          flux_involved_object_name: o.name,
          flux_involved_object_namespace: o.namespace,
          flux_reason: event.reason,
          flux_reporting_controller: event.reportingController,
          flux_reporting_instance: event.reportingInstance ?? '',
          ...(event.metadata ?? {}),
        }),
      };
  const payload = goJson(item);
  const body = [
    goJson({ event_id: id, sent_at: new Date().toISOString() }),
    goJson({ type: isError(event) ? 'event' : 'transaction', length: Buffer.byteLength(payload) }),
    payload,
  ].join('\n');
  return {
    method: 'POST',
    url: store,
    headers: {
      'Content-Type': 'application/x-sentry-envelope',
      'X-Sentry-Auth': `Sentry sentry_version=7, sentry_client=fluxdeck, sentry_key=${key}`,
    },
    body,
  };
}

/** The message Providers added here; undefined for types this module does not build. */
export const MESSAGE_PROVIDERS: Partial<
  Record<string, (event: NotificationEvent, s: ProviderSettings) => ProviderRequest | undefined>
> = {
  msteams,
  googlechat,
  webex,
  telegram,
  matrix,
  lark,
  alertmanager,
  grafana,
  opsgenie,
  pagerduty,
  datadog,
  sentry: (e, s) => sentry(e, s),
};
