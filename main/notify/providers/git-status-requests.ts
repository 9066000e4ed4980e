/**
 * Commit statuses for Bitbucket Cloud, Bitbucket Server / Data Center and Azure DevOps, as notification-controller
 * sends them (internal/notifier/bitbucket.go, bitbucketserver.go, azure_devops.go): the revision's commit, the
 * status id `<kind>/<name>/<provider uid prefix>` (sha1 of it as Bitbucket's 40-character key), the severity as
 * the host's state. Flux first reads the existing status to skip an identical one; Fluxdeck posts every time (the
 * hosts keep one status per key/context, so a repeat replaces it with the same value).
 */
import { createHash } from 'node:crypto';

import type { NotificationEvent } from '../../flux/events.ts';
import { goJson } from './go-json.ts';
import {
  basicAuth,
  gitAddress,
  JSON_HEADERS,
  ownerRepo,
  ProviderConfigError,
  type ProviderRequest,
  type ProviderSettings,
} from './provider-types.ts';

export interface StatusInput {
  event: NotificationEvent;
  s: ProviderSettings;
  /** The commit. */
  sha: string;
  /** The status id (generateCommitStatusID). */
  context: string;
  /** info → success, error → failure. */
  ok: boolean;
  /** The reason in words (`reconciliation succeeded`). */
  description: string;
}

const sha1 = (text: string): string => createHash('sha1').update(text).digest('hex');

const statusName = (event: NotificationEvent): string =>
  `${event.involvedObject.kind}/${event.involvedObject.name}`.toLowerCase();

/** Bitbucket Cloud: the token is `<user>:<app password>`; `x-token-auth:<token>` is a bearer token. */
function bitbucket({ event, s, sha, context, ok, description }: StatusInput): ProviderRequest {
  if (!s.token) throw new ProviderConfigError('bitbucket token cannot be empty');
  const { id } = gitAddress(s.address);
  const colon = s.token.split(':');
  if (colon.length !== 2) throw new ProviderConfigError('invalid token format, expected to be <user>:<password>');
  const [user = '', password = ''] = colon;
  const [owner, repo] = ownerRepo(id);
  const bearer = user === 'x-token-auth' || user === 'x-bitbucket-api-token-auth';
  return {
    method: 'POST',
    // go-bitbucket's API root: the Provider address names the repository, not the API host.
    url: `https://api.bitbucket.org/2.0/repositories/${owner}/${repo}/commit/${sha}/statuses/build`,
    headers: { ...JSON_HEADERS, Authorization: bearer ? `Bearer ${password}` : basicAuth(user, password) },
    body: goJson({
      key: sha1(context),
      url: 'https://bitbucket.org',
      state: ok ? 'SUCCESSFUL' : 'FAILED',
      name: statusName(event),
      description,
    }),
  };
}

/** Bitbucket Server's clone URL: `http(s)://host[/context]/scm/<project>/<repo>.git`. */
export function bitbucketServerAddress(address: string): { host: string; contextPath: string; id: string } {
  const scheme = address.split(':')[0];
  if (scheme !== 'http' && scheme !== 'https') {
    throw new ProviderConfigError(
      `could not parse git address: unsupported scheme type in address: ${scheme ?? ''}. Must be http or https`,
    );
  }
  const { host, id } = gitAddress(address);
  const withContext = `/${id}`;
  const at = withContext.lastIndexOf('/scm/');
  if (at < 0) {
    throw new ProviderConfigError(
      'could not parse git address: supplied provider address is not http(s) git clone url',
    );
  }
  return { host, contextPath: withContext.slice(0, at), id: withContext.slice(at + 5) };
}

function bitbucketServer({ event, s, sha, context, ok, description }: StatusInput): ProviderRequest {
  const { host, contextPath, id } = bitbucketServerAddress(s.address);
  const [project, repo] = ownerRepo(id);
  if (!s.token && (!s.username || !s.password)) {
    throw new ProviderConfigError('invalid credentials, expected to be one of username/password or API Token');
  }
  const auth = s.token ? `Bearer ${s.token}` : basicAuth(s.username ?? '', s.password ?? '');
  return {
    method: 'POST',
    url: `${host}${contextPath}/rest/api/latest/projects/${project}/repos/${repo}/commits/${sha}/builds`,
    headers: {
      ...JSON_HEADERS,
      Authorization: auth,
      'x-atlassian-token': 'no-check',
      'x-requested-with': 'XMLHttpRequest',
    },
    // json.Encoder ends the body with a newline; the name carries the description (shown in the browser).
    body: `${goJson({
      description,
      key: sha1(context),
      name: `${statusName(event)} [${description}]`,
      state: ok ? 'SUCCESSFUL' : 'FAILED',
      url: s.address,
    })}\n`,
  };
}

/** Azure DevOps: address `https://dev.azure.com/<org>/<project>/_git/<repo>`, a PAT as the token. */
function azureDevOps({ s, sha, context, ok, description }: StatusInput): ProviderRequest {
  if (!s.token) throw new ProviderConfigError('azure devops token cannot be empty');
  const { host, id } = gitAddress(s.address);
  const parts = id.split('/');
  if (parts.length !== 4) throw new ProviderConfigError(`invalid repository id "${id}"`);
  const [org = '', project = '', , repo = ''] = parts;
  return {
    method: 'POST',
    url: `${host}/${org}/${project}/_apis/git/repositories/${repo}/commits/${sha}/statuses?api-version=6.0`,
    headers: { ...JSON_HEADERS, Accept: 'application/json;api-version=6.0', Authorization: basicAuth('', s.token) },
    body: goJson({
      context: { genre: 'fluxcd', name: context },
      description,
      state: ok ? 'succeeded' : 'error',
    }),
  };
}

export const GIT_STATUS_REQUESTS: Partial<Record<string, (input: StatusInput) => ProviderRequest>> = {
  bitbucket,
  bitbucketserver: bitbucketServer,
  azuredevops: azureDevOps,
};
