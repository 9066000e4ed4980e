import { createHash, createHmac } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import type { Receiver, ReceiverSpec } from '../../../main/flux/notification.ts';
import {
  goTimeString,
  selectResources,
  validateWebhook,
  validHmacSignature,
  webhookPath,
} from '../../../main/notify/receiver-webhook.ts';
import type { KubeObject } from '../../../main/util/kube-object.ts';

const receiver = (spec: Partial<ReceiverSpec>): Receiver => ({
  apiVersion: 'notification.toolkit.fluxcd.io/v1',
  kind: 'Receiver',
  metadata: { name: 'hook', namespace: 'flux-system' },
  spec: { type: 'generic', resources: [], ...spec },
});

const body = Buffer.from('{"ref":"refs/heads/main"}');
const sign = (alg: string, key = 'tok'): string => `${alg}=${createHmac(alg, key).update(body).digest('hex')}`;

describe('webhookPath', () => {
  it('is /hook/ + sha256 hex of token + name + namespace', () => {
    const expected = createHash('sha256').update('tokhookflux-system').digest('hex');
    expect(webhookPath('tok', 'hook', 'flux-system')).toBe(`/hook/${expected}`);
  });
});

describe('validateWebhook', () => {
  it('generic-hmac takes sha1/sha256/sha512 X-Signature, refuses a wrong key or a missing header', () => {
    const r = receiver({ type: 'generic-hmac' });
    for (const alg of ['sha1', 'sha256', 'sha512']) {
      expect(validateWebhook(r, { headers: { 'x-signature': sign(alg) }, body }, 'tok')).toEqual({
        ok: true,
        reconcile: true,
      });
    }
    expect(validateWebhook(r, { headers: { 'x-signature': sign('sha256', 'other') }, body }, 'tok')).toMatchObject({
      ok: false,
      status: 400,
    });
    expect(validateWebhook(r, { headers: {}, body }, 'tok')).toMatchObject({ ok: false });
    expect(validHmacSignature('md5=abc', body, 'tok')).toBe(false);
  });

  it('github: X-Hub-Signature-256, event filter (case-insensitive), ping answered without a reconcile', () => {
    const r = receiver({ type: 'github', events: ['Push'] });
    const h = (event: string, sig = sign('sha256')) => ({ 'x-hub-signature-256': sig, 'x-github-event': event });
    expect(validateWebhook(r, { headers: h('push'), body }, 'tok')).toEqual({ ok: true, reconcile: true });
    expect(validateWebhook(r, { headers: h('ping'), body }, 'tok')).toMatchObject({ ok: true, reconcile: false });
    expect(validateWebhook(r, { headers: h('issues'), body }, 'tok')).toMatchObject({
      ok: false,
      message: "the GitHub event 'issues' is not authorised",
    });
    expect(validateWebhook(r, { headers: h('push', sign('sha256', 'bad')), body }, 'tok')).toMatchObject({ ok: false });
    // The legacy sha1 header is accepted when the sha256 one is absent.
    expect(
      validateWebhook(r, { headers: { 'x-hub-signature': sign('sha1'), 'x-github-event': 'push' }, body }, 'tok'),
    ).toMatchObject({ ok: true });
  });

  it('gitlab: X-Gitlab-Token must equal the token; events filter X-Gitlab-Event', () => {
    const r = receiver({ type: 'gitlab', events: ['Push Hook'] });
    expect(
      validateWebhook(r, { headers: { 'x-gitlab-token': 'tok', 'x-gitlab-event': 'Push Hook' }, body }, 'tok'),
    ).toMatchObject({ ok: true });
    expect(
      validateWebhook(r, { headers: { 'x-gitlab-token': 'tok2', 'x-gitlab-event': 'Push Hook' }, body }, 'tok'),
    ).toMatchObject({
      ok: false,
      message: 'the X-Gitlab-Token header value does not match the receiver token',
    });
    expect(
      validateWebhook(r, { headers: { 'x-gitlab-token': 'tok', 'x-gitlab-event': 'Tag Push Hook' }, body }, 'tok'),
    ).toMatchObject({ ok: false });
  });

  it('bitbucket server: X-Hub-Signature and X-Event-Key; harbor: Authorization; registries need JSON', () => {
    expect(
      validateWebhook(
        receiver({ type: 'bitbucket' }),
        { headers: { 'x-hub-signature': sign('sha256'), 'x-event-key': 'repo:refs_changed' }, body },
        'tok',
      ),
    ).toMatchObject({ ok: true });
    expect(
      validateWebhook(receiver({ type: 'harbor' }), { headers: { authorization: 'tok' }, body }, 'tok'),
    ).toMatchObject({ ok: true });
    expect(
      validateWebhook(receiver({ type: 'harbor' }), { headers: { authorization: 'x' }, body }, 'tok'),
    ).toMatchObject({ ok: false });
    expect(
      validateWebhook(receiver({ type: 'quay' }), { headers: {}, body: Buffer.from('nope') }, 'tok'),
    ).toMatchObject({ ok: false });
    expect(validateWebhook(receiver({ type: 'dockerhub' }), { headers: {}, body }, 'tok')).toMatchObject({ ok: true });
    expect(validateWebhook(receiver({ type: 'generic-oidc' }), { headers: {}, body }, 'tok')).toMatchObject({
      ok: false,
    });
  });
});

describe('selectResources', () => {
  const obj = (kind: string, name: string, namespace = 'flux-system', labels?: Record<string, string>): KubeObject => ({
    apiVersion: 'x/v1',
    kind,
    metadata: { name, namespace, ...(labels ? { labels } : {}) },
  });
  const all = [
    obj('GitRepository', 'a', 'flux-system', { team: 'x' }),
    obj('GitRepository', 'b', 'flux-system', { team: 'y' }),
    obj('GitRepository', 'a', 'other'),
    obj('Kustomization', 'a'),
  ];
  it('by name in the Receiver namespace, or * with matchLabels, or another namespace', () => {
    const r = receiver({});
    const names = (l: KubeObject[]) => l.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`);
    expect(names(selectResources(r, { kind: 'GitRepository', name: 'a' }, all))).toEqual([
      'GitRepository/flux-system/a',
    ]);
    expect(names(selectResources(r, { kind: 'GitRepository', name: '*', matchLabels: { team: 'y' } }, all))).toEqual([
      'GitRepository/flux-system/b',
    ]);
    expect(names(selectResources(r, { kind: 'GitRepository', name: 'a', namespace: 'other' }, all))).toEqual([
      'GitRepository/other/a',
    ]);
  });
});

describe('goTimeString', () => {
  it("writes Go's Time.String in UTC with the monotonic reading", () => {
    expect(goTimeString(Date.parse('2025-03-10T11:59:00.120Z'))).toMatch(
      /^2025-03-10 11:59:00\.12 \+0000 UTC m=\+-?\d+\.\d{9}$/,
    );
    expect(goTimeString(Date.parse('2025-03-10T11:59:00Z'))).toMatch(/^2025-03-10 11:59:00 \+0000 UTC m=/);
  });
});
