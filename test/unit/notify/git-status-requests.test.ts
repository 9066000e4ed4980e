import { createHash } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import type { NotificationEvent } from '../../../main/flux/events.ts';
import type { Provider } from '../../../main/flux/notification.ts';
import { bitbucketServerAddress } from '../../../main/notify/providers/git-status-requests.ts';
import { buildProviderRequest, type ProviderRequest } from '../../../main/notify/providers/provider-request.ts';
import { providerSettings } from '../../../main/notify/providers/provider-settings.ts';

// Commit statuses for Bitbucket Cloud, Bitbucket Server and Azure DevOps as notification-controller sends them.

const SHA = '0123456789abcdef0123456789abcdef01234567';

const event = (over: Partial<NotificationEvent> = {}): NotificationEvent => ({
  involvedObject: {
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    name: 'Apps',
    namespace: 'ns',
  },
  severity: 'info',
  timestamp: '2025-03-10T11:59:00Z',
  message: 'ok',
  reason: 'ReconciliationSucceeded',
  metadata: {
    'kustomize.toolkit.fluxcd.io/originRevision': `main@sha1:${SHA}`,
    'kustomize.toolkit.fluxcd.io/revision': 'x@sha1:ffff',
  },
  reportingController: 'kustomize-controller',
  ...over,
});

const provider = (spec: Provider['spec']): Provider => ({
  apiVersion: 'notification.toolkit.fluxcd.io/v1beta3',
  kind: 'Provider',
  metadata: { name: 'p', namespace: 'ns', uid: '5e1c7a2d-aaaa-bbbb' },
  spec,
});

const request = (
  spec: Provider['spec'],
  secret: Record<string, string> | undefined,
  e: NotificationEvent = event(),
): ProviderRequest => {
  const r = buildProviderRequest(e, providerSettings(provider(spec), secret, e));
  if (!r) throw new Error('expected a request');
  return r;
};

// Flux's generateCommitStatusID: <kind>/<name>/<first part of the Provider UID>, lowercased.
const ID = 'kustomization/apps/5e1c7a2d';
const sha1 = (t: string): string => createHash('sha1').update(t).digest('hex');

describe('bitbucket (cloud)', () => {
  it('posts a build status for the origin revision with the sha1 of the status id as key', () => {
    const r = request(
      { type: 'bitbucket', address: 'https://bitbucket.org/team/app.git', secretRef: { name: 's' } },
      {
        token: 'me:app-pass',
      },
    );
    expect(r.method).toBe('POST');
    expect(r.url).toBe(`https://api.bitbucket.org/2.0/repositories/team/app/commit/${SHA}/statuses/build`);
    expect(r.headers.Authorization).toBe(`Basic ${Buffer.from('me:app-pass').toString('base64')}`);
    expect(r.body).toBe(
      `{"key":"${sha1(ID)}","url":"https://bitbucket.org","state":"SUCCESSFUL","name":"kustomization/apps","description":"reconciliation succeeded"}`,
    );
  });

  it('x-token-auth is a bearer token; errors are FAILED; a token without a colon is refused', () => {
    const r = request(
      { type: 'bitbucket', address: 'https://bitbucket.org/team/app', secretRef: { name: 's' } },
      { token: 'x-token-auth:abc' },
      event({ severity: 'error', reason: 'HealthCheckFailed' }),
    );
    expect(r.headers.Authorization).toBe('Bearer abc');
    expect(JSON.parse(r.body)).toMatchObject({ state: 'FAILED', description: 'health check failed' });
    expect(() => request({ type: 'bitbucket', address: 'https://bitbucket.org/team/app' }, { token: 'abc' })).toThrow(
      'invalid token format, expected to be <user>:<password>',
    );
  });
});

describe('bitbucketserver', () => {
  it('splits the clone URL into host, context path and project/repo', () => {
    expect(bitbucketServerAddress('https://git.example.com/bb/scm/PRJ/app.git')).toEqual({
      host: 'https://git.example.com',
      contextPath: '/bb',
      id: 'PRJ/app',
    });
    expect(() => bitbucketServerAddress('ssh://git@git.example.com/PRJ/app.git')).toThrow(/Must be http or https/);
    expect(() => bitbucketServerAddress('https://git.example.com/PRJ/app.git')).toThrow(/not http\(s\) git clone url/);
  });

  it('posts the build with Flux headers, bearer token or basic auth', () => {
    const spec = {
      type: 'bitbucketserver' as const,
      address: 'https://git.example.com/bb/scm/PRJ/app.git',
      secretRef: { name: 's' },
    };
    const r = request(spec, { token: 'tok' });
    expect(r.url).toBe(`https://git.example.com/bb/rest/api/latest/projects/PRJ/repos/app/commits/${SHA}/builds`);
    expect(r.headers).toEqual({
      'Content-Type': 'application/json',
      Authorization: 'Bearer tok',
      'x-atlassian-token': 'no-check',
      'x-requested-with': 'XMLHttpRequest',
    });
    expect(r.body).toBe(
      `{"description":"reconciliation succeeded","key":"${sha1(ID)}","name":"kustomization/apps [reconciliation succeeded]","state":"SUCCESSFUL","url":"https://git.example.com/bb/scm/PRJ/app.git"}\n`,
    );
    expect(request(spec, { username: 'u', password: 'p' }).headers.Authorization).toBe(
      `Basic ${Buffer.from('u:p').toString('base64')}`,
    );
    expect(() => request(spec, {})).toThrow(
      'invalid credentials, expected to be one of username/password or API Token',
    );
  });
});

describe('azuredevops', () => {
  it('posts a status with genre fluxcd and the status id as context name, PAT basic auth', () => {
    const r = request(
      { type: 'azuredevops', address: 'https://dev.azure.com/org/proj/_git/repo', secretRef: { name: 's' } },
      { token: 'pat' },
      event({ severity: 'error', reason: 'BuildFailed' }),
    );
    expect(r.url).toBe(
      `https://dev.azure.com/org/proj/_apis/git/repositories/repo/commits/${SHA}/statuses?api-version=6.0`,
    );
    expect(r.headers.Authorization).toBe(`Basic ${Buffer.from(':pat').toString('base64')}`);
    expect(r.body).toBe(`{"context":{"genre":"fluxcd","name":"${ID}"},"description":"build failed","state":"error"}`);
    expect(() =>
      request(
        { type: 'azuredevops', address: 'https://dev.azure.com/org/repo', secretRef: { name: 's' } },
        { token: 'pat' },
      ),
    ).toThrow('invalid repository id "org/repo"');
  });

  it('Progressing events send nothing', () => {
    const spec = {
      type: 'azuredevops' as const,
      address: 'https://dev.azure.com/org/proj/_git/repo',
      secretRef: { name: 's' },
    };
    const e = event({ reason: 'Progressing' });
    expect(buildProviderRequest(e, providerSettings(provider(spec), { token: 'pat' }, e))).toBeUndefined();
  });
});
