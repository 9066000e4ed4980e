/**
 * What a Provider sends for one event, as data: the HTTP request notification-controller's notifiers make
 * (internal/notifier/*.go), built without doing any I/O so each shape is unit-tested and delivery stays one module.
 */
import { createHmac } from 'node:crypto';

import type { NotificationEvent } from '../../flux/events.ts';
import { COMMIT_STATUS_PROVIDERS, type ProviderType } from '../../flux/notification.ts';
import { apiGroup, eventRevision } from '../notification-event.ts';
import { GIT_STATUS_REQUESTS } from './git-status-requests.ts';
import { goJson } from './go-json.ts';
import { MESSAGE_PROVIDERS } from './message-requests.ts';
import {
  describeReason,
  eventBody,
  gitAddress,
  JSON_HEADERS,
  objectTitle,
  ownerRepo,
  ProviderConfigError,
  type ProviderRequest,
  type ProviderSettings,
  requireToken,
  requireUrl,
  sortedEntries,
} from './provider-types.ts';

export {
  describeReason,
  eventBody,
  gitAddress,
  ProviderConfigError,
  type ProviderRequest,
  type ProviderSettings,
} from './provider-types.ts';

/** Types this module can build requests for. */
export const SUPPORTED_PROVIDER_TYPES: readonly ProviderType[] = [
  'generic',
  'generic-hmac',
  'slack',
  'discord',
  'rocket',
  'githubdispatch',
  'github',
  'gitlab',
  'gitea',
  'bitbucket',
  'bitbucketserver',
  'azuredevops',
  'msteams',
  'googlechat',
  'webex',
  'telegram',
  'matrix',
  'lark',
  'alertmanager',
  'grafana',
  'opsgenie',
  'pagerduty',
  'datadog',
  'sentry',
];

/** Message types that, as in Flux, send nothing for a commit status `update` event. */
const SKIP_COMMIT_STATUS_UPDATES = new Set([
  'msteams',
  'googlechat',
  'webex',
  'lark',
  'alertmanager',
  'grafana',
  'pagerduty',
]);

/** Slack's attachment payload (also what Discord's `/slack` endpoint and Rocket.Chat take). */
function slackPayload(event: NotificationEvent, s: ProviderSettings): string {
  return goJson({
    channel: s.channel ?? '',
    username: s.username || event.reportingController,
    icon_url: '',
    icon_emoji: '',
    attachments: [
      {
        color: event.severity === 'error' ? 'danger' : 'good',
        author_name: objectTitle(event),
        text: event.message,
        mrkdwn_in: ['text'],
        fields: sortedEntries(event.metadata).map(([title, value]) => ({ title, value, short: false })),
      },
    ],
  });
}

/** The commit of a revision: `main@sha1:<hex>`, `sha1:<hex>`, legacy `main/<hex>`. */
export function revisionCommit(revision: string): string {
  const afterAt = revision.slice(revision.lastIndexOf('@') + 1);
  const afterColon = afterAt.slice(afterAt.lastIndexOf(':') + 1);
  const commit = afterColon.slice(afterColon.lastIndexOf('/') + 1);
  if (!commit) throw new ProviderConfigError(`failed to extract commit hash from '${revision}' revision`);
  return commit;
}

/** Flux's default commit status id: `<kind>/<name>/<first part of the Provider UID>`, lowercased. */
export function defaultCommitStatus(providerUid: string, event: NotificationEvent): string {
  const o = event.involvedObject;
  return `${o.kind}/${o.name}/${providerUid.split('-')[0] ?? ''}`.toLowerCase();
}

/** github.com goes to api.github.com; any other host is GitHub Enterprise at `<host>/api/v3/`. */
function githubApi(host: string): string {
  return new URL(host).host === 'github.com' ? 'https://api.github.com/' : `${host}/api/v3/`;
}

function commitStatusRequest(event: NotificationEvent, s: ProviderSettings): ProviderRequest | undefined {
  // Progressing events would flip the status back and forth; Flux skips them.
  if (event.reason === 'Progressing') return undefined;
  const revision = eventRevision(event);
  if (!revision) throw new ProviderConfigError('missing revision metadata');
  const sha = revisionCommit(revision);
  const context = s.commitStatus;
  if (!context) throw new ProviderConfigError('commit status cannot be empty');
  const ok = event.severity === 'info';
  const description = describeReason(event.reason);
  const more = GIT_STATUS_REQUESTS[s.type];
  if (more) return more({ event, s, sha, context, ok, description });
  const token = requireToken(s);
  const { host, id } = gitAddress(s.address);
  switch (s.type) {
    case 'github': {
      const [owner, repo] = ownerRepo(id);
      return {
        method: 'POST',
        url: `${githubApi(host)}repos/${owner}/${repo}/statuses/${sha}`,
        headers: { ...JSON_HEADERS, Accept: 'application/vnd.github.v3+json', Authorization: `Bearer ${token}` },
        body: goJson({ state: ok ? 'success' : 'failure', description, context }),
      };
    }
    case 'gitlab':
      return {
        method: 'POST',
        url: `${host}/api/v4/projects/${encodeURIComponent(id)}/statuses/${sha}`,
        headers: { ...JSON_HEADERS, 'PRIVATE-TOKEN': token },
        body: goJson({ state: ok ? 'success' : 'failed', name: context, description }),
      };
    case 'gitea': {
      const [owner, repo] = ownerRepo(id);
      return {
        method: 'POST',
        url: `${host}/api/v1/repos/${owner}/${repo}/statuses/${sha}`,
        headers: { ...JSON_HEADERS, Authorization: `token ${token}` },
        body: goJson({ state: ok ? 'success' : 'failure', target_url: '', description, context }),
      };
    }
    default:
      throw new ProviderConfigError(`provider type '${s.type}' is not supported`);
  }
}

/** Flux's event JSON as it is, with the Secret's headers; generic-hmac signs it with the token. */
function genericRequest(event: NotificationEvent, s: ProviderSettings): ProviderRequest {
  const url = requireUrl(s.address, s.type).href;
  const body = eventBody(event);
  const headers: Record<string, string> = { ...JSON_HEADERS, 'gotk-component': event.reportingController };
  for (const [k, v] of Object.entries(s.headers ?? {})) headers[k] = v;
  if (s.type === 'generic-hmac') {
    const key = requireToken(s);
    headers['X-Signature'] = `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;
  }
  return { method: 'POST', url, headers, body };
}

/**
 * The request a Provider makes for an (Alert-prepared) event, or undefined when Flux skips the event for this
 * type. Throws ProviderConfigError for a Provider that cannot send (bad address, missing token, unknown type).
 */
export function buildProviderRequest(event: NotificationEvent, s: ProviderSettings): ProviderRequest | undefined {
  const group = apiGroup(event.involvedObject.apiVersion);
  const commitStatusUpdate = event.metadata?.[`${group}/commit_status`] === 'update';
  switch (s.type) {
    case 'generic':
    case 'generic-hmac':
      return genericRequest(event, s);
    case 'slack':
    case 'rocket':
    case 'discord': {
      if (commitStatusUpdate) return undefined;
      const u = requireUrl(s.address, s.type);
      // Discord takes Slack's format at `<webhook>/slack`.
      if (s.type === 'discord' && !u.pathname.endsWith('/slack')) u.pathname = `${u.pathname.replace(/\/$/, '')}/slack`;
      const headers: Record<string, string> = { ...JSON_HEADERS };
      if (s.type === 'slack' && s.token) headers.Authorization = `Bearer ${s.token}`;
      return { method: 'POST', url: u.href, headers, body: slackPayload(event, s) };
    }
    case 'githubdispatch': {
      if (commitStatusUpdate) return undefined;
      const token = requireToken(s);
      const { host, id } = gitAddress(s.address);
      const [owner, repo] = ownerRepo(id);
      const o = event.involvedObject;
      return {
        method: 'POST',
        url: `${githubApi(host)}repos/${owner}/${repo}/dispatches`,
        headers: { ...JSON_HEADERS, Accept: 'application/vnd.github.v3+json', Authorization: `Bearer ${token}` },
        body: `{"event_type":${goJson(`${o.kind}/${o.name}.${o.namespace}`)},"client_payload":${eventBody(event)}}`,
      };
    }
    default: {
      if (COMMIT_STATUS_PROVIDERS.includes(s.type)) return commitStatusRequest(event, s);
      const build = MESSAGE_PROVIDERS[s.type];
      if (!build) throw new ProviderConfigError(`provider type '${s.type}' is not supported by Fluxdeck yet`);
      if (commitStatusUpdate && SKIP_COMMIT_STATUS_UPDATES.has(s.type)) return undefined;
      return build(event, s);
    }
  }
}
