import { createHmac } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import type { NotificationEvent } from '../../../main/flux/events.ts';
import type { Provider, ProviderSpec } from '../../../main/flux/notification.ts';
import {
  buildProviderRequest,
  defaultCommitStatus,
  describeReason,
  eventBody,
  gitAddress,
  ProviderConfigError,
  type ProviderSettings,
  revisionCommit,
} from '../../../main/notify/providers/provider-request.ts';
import { providerSettings, providerTimeoutMs } from '../../../main/notify/providers/provider-settings.ts';

const SHA = '0123456789abcdef0123456789abcdef01234567';

const event = (over: Partial<NotificationEvent> = {}): NotificationEvent => ({
  involvedObject: {
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    name: 'apps',
    namespace: 'flux-system',
    uid: 'u-1',
  },
  severity: 'info',
  timestamp: '2025-03-10T11:59:00Z',
  message: 'Reconciliation finished in 1s <ok> & done',
  reason: 'ReconciliationSucceeded',
  metadata: { 'kustomize.toolkit.fluxcd.io/revision': `main@sha1:${SHA}` },
  reportingController: 'kustomize-controller',
  ...over,
});

const settings = (over: Partial<ProviderSettings>): ProviderSettings => ({
  type: 'generic',
  address: 'http://127.0.0.1:9000/hook',
  ...over,
});

const body = (b: string): unknown => JSON.parse(b);

describe('generic and generic-hmac', () => {
  it('posts the Flux event JSON in Go field order and escaping, with gotk-component and secret headers', () => {
    const r = buildProviderRequest(event(), settings({ headers: { 'X-Team': 'a', Authorization: 'Bearer x' } }));
    expect(r?.method).toBe('POST');
    expect(r?.url).toBe('http://127.0.0.1:9000/hook');
    expect(r?.headers).toEqual({
      'Content-Type': 'application/json',
      'gotk-component': 'kustomize-controller',
      'X-Team': 'a',
      Authorization: 'Bearer x',
    });
    expect(r?.body).toBe(
      '{"involvedObject":{"kind":"Kustomization","namespace":"flux-system","name":"apps","uid":"u-1",' +
        '"apiVersion":"kustomize.toolkit.fluxcd.io/v1"},"severity":"info","timestamp":"2025-03-10T11:59:00Z",' +
        '"message":"Reconciliation finished in 1s \\u003cok\\u003e \\u0026 done","reason":"ReconciliationSucceeded",' +
        `"metadata":{"kustomize.toolkit.fluxcd.io/revision":"main@sha1:${SHA}"},"reportingController":"kustomize-controller"}`,
    );
  });

  it('signs the exact body with HMAC-SHA256 of the token in X-Signature', () => {
    const r = buildProviderRequest(event(), settings({ type: 'generic-hmac', token: 's3cret' }));
    const expected = createHmac('sha256', 's3cret').update(eventBody(event())).digest('hex');
    expect(r?.headers['X-Signature']).toBe(`sha256=${expected}`);
    expect(r?.body).toBe(eventBody(event()));
    expect(() => buildProviderRequest(event(), settings({ type: 'generic-hmac' }))).toThrow(ProviderConfigError);
  });

  it('refuses an address that is not a URL', () => {
    expect(() => buildProviderRequest(event(), settings({ address: 'not a url' }))).toThrow(/invalid generic address/);
  });
});

describe('slack, discord, rocket', () => {
  it('sends a Slack attachment: colour by severity, object as author, metadata as sorted fields', () => {
    const e = event({ severity: 'error', metadata: { revision: 'r1', env: 'prod' } });
    const r = buildProviderRequest(e, settings({ type: 'slack', channel: '#ops', token: 'xoxb' }));
    expect(r?.headers).toEqual({ 'Content-Type': 'application/json', Authorization: 'Bearer xoxb' });
    expect(body(r?.body ?? '')).toEqual({
      channel: '#ops',
      username: 'kustomize-controller',
      icon_url: '',
      icon_emoji: '',
      attachments: [
        {
          color: 'danger',
          author_name: 'kustomization/apps.flux-system',
          text: e.message,
          mrkdwn_in: ['text'],
          fields: [
            { title: 'env', value: 'prod', short: false },
            { title: 'revision', value: 'r1', short: false },
          ],
        },
      ],
    });
  });

  it('discord posts Slack format to <webhook>/slack; rocket to the address as is; username wins', () => {
    const d = buildProviderRequest(
      event(),
      settings({ type: 'discord', address: 'https://discord.com/api/webhooks/1/t', username: 'flux' }),
    );
    expect(d?.url).toBe('https://discord.com/api/webhooks/1/t/slack');
    expect(body(d?.body ?? '')).toMatchObject({ username: 'flux', attachments: [{ color: 'good' }] });
    const already = buildProviderRequest(event(), settings({ type: 'discord', address: 'https://d.example/x/slack' }));
    expect(already?.url).toBe('https://d.example/x/slack');
    const rocket = buildProviderRequest(
      event(),
      settings({ type: 'rocket', address: 'https://rocket.example/hooks/a' }),
    );
    expect(rocket?.url).toBe('https://rocket.example/hooks/a');
    expect(rocket?.headers.Authorization).toBeUndefined();
  });
});

describe('githubdispatch', () => {
  it('posts repository_dispatch with event_type Kind/name.namespace and the event as client_payload', () => {
    const r = buildProviderRequest(
      event(),
      settings({ type: 'githubdispatch', address: 'https://github.com/org/repo', token: 'ghp' }),
    );
    expect(r?.url).toBe('https://api.github.com/repos/org/repo/dispatches');
    expect(r?.headers.Authorization).toBe('Bearer ghp');
    expect(body(r?.body ?? '')).toEqual({
      event_type: 'Kustomization/apps.flux-system',
      client_payload: body(eventBody(event())),
    });
  });
});

describe('commit status providers', () => {
  const commitStatus = defaultCommitStatus('8a7b6c5d-1111-2222-3333-444455556666', event());

  it('derives the context id as Flux does: lowercase kind/name/first UID part', () => {
    expect(commitStatus).toBe('kustomization/apps/8a7b6c5d');
  });

  it('github: status on the revision commit, success/failure, description from the reason', () => {
    const ok = buildProviderRequest(
      event(),
      settings({ type: 'github', address: 'https://github.com/org/repo.git', token: 't', commitStatus }),
    );
    expect(ok?.url).toBe(`https://api.github.com/repos/org/repo/statuses/${SHA}`);
    expect(ok?.headers.Authorization).toBe('Bearer t');
    expect(body(ok?.body ?? '')).toEqual({
      state: 'success',
      description: 'reconciliation succeeded',
      context: commitStatus,
    });
    const failed = buildProviderRequest(
      event({ severity: 'error', reason: 'HealthCheckFailed' }),
      settings({ type: 'github', address: 'http://127.0.0.1:8080/org/repo', token: 't', commitStatus }),
    );
    expect(failed?.url).toBe(`http://127.0.0.1:8080/api/v3/repos/org/repo/statuses/${SHA}`);
    expect(body(failed?.body ?? '')).toMatchObject({ state: 'failure', description: 'health check failed' });
  });

  it('prefers originRevision, skips Progressing, needs a revision', () => {
    const s = settings({ type: 'github', address: 'https://github.com/org/repo', token: 't', commitStatus });
    const origin = event({
      metadata: {
        'kustomize.toolkit.fluxcd.io/revision': `main@sha1:${SHA}`,
        'kustomize.toolkit.fluxcd.io/originRevision': 'v1@sha1:ffff',
      },
    });
    expect(buildProviderRequest(origin, s)?.url).toMatch(/statuses\/ffff$/);
    expect(buildProviderRequest(event({ reason: 'Progressing' }), s)).toBeUndefined();
    expect(() => buildProviderRequest(event({ metadata: {} }), s)).toThrow('missing revision metadata');
  });

  it('gitlab: project id url-encoded, PRIVATE-TOKEN, failed state, name = context', () => {
    const r = buildProviderRequest(
      event({ severity: 'error', reason: 'BuildFailed' }),
      settings({ type: 'gitlab', address: 'git@gitlab.example.com:group/sub/app.git', token: 'glpat', commitStatus }),
    );
    expect(r?.url).toBe(`https://gitlab.example.com/api/v4/projects/group%2Fsub%2Fapp/statuses/${SHA}`);
    expect(r?.headers['PRIVATE-TOKEN']).toBe('glpat');
    expect(body(r?.body ?? '')).toEqual({ state: 'failed', name: commitStatus, description: 'build failed' });
  });

  it('gitea: /api/v1 statuses with token auth', () => {
    const r = buildProviderRequest(
      event(),
      settings({ type: 'gitea', address: 'https://gitea.example/org/repo', token: 'gt', commitStatus }),
    );
    expect(r?.url).toBe(`https://gitea.example/api/v1/repos/org/repo/statuses/${SHA}`);
    expect(r?.headers.Authorization).toBe('token gt');
    expect(body(r?.body ?? '')).toEqual({
      state: 'success',
      target_url: '',
      description: 'reconciliation succeeded',
      context: commitStatus,
    });
  });
});

describe('helpers', () => {
  it('reads commits from current and legacy revisions', () => {
    expect(revisionCommit(`main@sha1:${SHA}`)).toBe(SHA);
    expect(revisionCommit(`sha1:${SHA}`)).toBe(SHA);
    expect(revisionCommit(`main/${SHA}`)).toBe(SHA);
    expect(revisionCommit(SHA)).toBe(SHA);
  });

  it('splits reasons like fatih/camelcase', () => {
    expect(describeReason('ReconciliationSucceeded')).toBe('reconciliation succeeded');
    expect(describeReason('HTTPServerFailed')).toBe('http server failed');
  });

  it('parses git addresses like Flux', () => {
    expect(gitAddress('ssh://git@github.com/org/repo.git')).toEqual({ host: 'https://github.com', id: 'org/repo' });
    expect(gitAddress('https://gitlab.com:8443/a/b/c')).toEqual({ host: 'https://gitlab.com:8443', id: 'a/b/c' });
  });
});

describe('providerSettings', () => {
  const provider = (spec: Partial<ProviderSpec>): Provider => ({
    apiVersion: 'notification.toolkit.fluxcd.io/v1beta3',
    kind: 'Provider',
    metadata: { name: 'p', namespace: 'flux-system', uid: 'abcd1234-0000' },
    spec: { type: 'generic', address: 'http://spec.example/', ...spec },
  });

  it('secret address and token (trimmed) override the spec; headers come from YAML', () => {
    const s = providerSettings(provider({ channel: 'c', username: 'u' }), {
      address: ' http://secret.example/hook\n',
      token: 'tok\n',
      headers: 'X-A: "1"\nX-B: two\n',
    });
    expect(s).toEqual({
      type: 'generic',
      address: 'http://secret.example/hook',
      channel: 'c',
      username: 'u',
      token: 'tok',
      headers: { 'X-A': '1', 'X-B': 'two' },
    });
  });

  it('username and password together are basic auth; one alone is ignored', () => {
    expect(providerSettings(provider({}), { username: 'x', password: 'y' })).toMatchObject({
      username: 'x',
      password: 'y',
    });
    expect(providerSettings(provider({}), { username: 'x' }).username).toBeUndefined();
  });

  it('errors: no address, bad headers, an address over 2048 bytes', () => {
    expect(() => providerSettings(provider({ address: undefined }), undefined)).toThrow('provider has no address');
    expect(() => providerSettings(provider({}), { headers: '- a\n- b' })).toThrow(/failed to read headers/);
    expect(() => providerSettings(provider({}), { headers: 'X-N: 5' })).toThrow(/'X-N' is not a string/);
    expect(() => providerSettings(provider({}), { address: 'h'.repeat(2049) })).toThrow(/2048 bytes/);
  });

  it('commit status providers get the default context id; timeout defaults to 15s', () => {
    expect(providerSettings(provider({ type: 'github' }), { token: 't' }, event()).commitStatus).toBe(
      'kustomization/apps/abcd1234',
    );
    expect(providerTimeoutMs(provider({}))).toBe(15_000);
    expect(providerTimeoutMs(provider({ timeout: '2s' }))).toBe(2000);
  });
});
