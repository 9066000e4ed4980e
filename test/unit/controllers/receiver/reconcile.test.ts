import { createHash } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import type { ReceiverPorts } from '../../../../main/controllers/receiver/ports.ts';
import { reconcileReceiver } from '../../../../main/controllers/receiver/reconcile.ts';
import { FLUX_FINALIZER } from '../../../../main/flux/meta.ts';
import type { Receiver, ReceiverStatus } from '../../../../main/flux/notification.ts';

const NOW = new Date('2026-12-04T10:00:00Z');

function receiver(over: Partial<Receiver['spec']> = {}, status?: ReceiverStatus): Receiver {
  return {
    apiVersion: 'notification.toolkit.fluxcd.io/v1',
    kind: 'Receiver',
    metadata: {
      name: 'gh',
      namespace: 'apps',
      generation: 3,
      finalizers: [FLUX_FINALIZER],
      annotations: { 'reconcile.fluxcd.io/requestedAt': 'now-1' },
    },
    spec: {
      type: 'github',
      secretRef: { name: 'token' },
      resources: [{ kind: 'GitRepository', name: 'app' }],
      ...over,
    },
    ...(status ? { status } : {}),
  };
}

function fakePorts(secrets: Record<string, Record<string, string> | undefined>) {
  const statuses: ReceiverStatus[] = [];
  const events: { type: string; reason: string; message: string }[] = [];
  const finalizers: boolean[] = [];
  const ports: ReceiverPorts = {
    secret: (ns, name) => Promise.resolve(secrets[`${ns}/${name}`]),
    writeStatus: (_r, s) => {
      statuses.push(structuredClone(s));
      return Promise.resolve();
    },
    setFinalizer: (_r, present) => {
      finalizers.push(present);
      return Promise.resolve();
    },
    event: (_r, e) => events.push(e),
    now: () => NOW,
  };
  return { ports, statuses, events, finalizers };
}

const signal = new AbortController().signal;
const expectedPath = `/hook/${createHash('sha256')
  .update('s3cret' + 'gh' + 'apps')
  .digest('hex')}`;

describe('reconcileReceiver', () => {
  it('a token gives webhookPath, Ready Succeeded with Flux message, observedGeneration and the interval', async () => {
    const f = fakePorts({ 'apps/token': { token: 's3cret' } });
    const out = await reconcileReceiver(receiver({ interval: '5m' }), f.ports, signal);
    expect(out).toEqual({ requeueAfterMs: 300_000 });
    const s = f.statuses.at(-1);
    expect(s?.webhookPath).toBe(expectedPath);
    expect(s?.observedGeneration).toBe(3);
    expect(s?.lastHandledReconcileAt).toBe('now-1');
    expect(s?.conditions).toEqual([
      {
        type: 'Ready',
        status: 'True',
        reason: 'Succeeded',
        message: `Receiver initialized for path: ${expectedPath}`,
        observedGeneration: 3,
        lastTransitionTime: '2026-12-04T10:00:00Z',
      },
    ]);
    expect(f.events).toEqual([
      { type: 'Normal', reason: 'Succeeded', message: 'Reconciliation finished, next run in 5m0s' },
    ]);
  });

  it('a missing Secret: Ready=False TokenNotFound, path cleared, Reconciling ProgressingWithRetry, retried', async () => {
    const f = fakePorts({});
    const out = await reconcileReceiver(receiver({}, { webhookPath: expectedPath }), f.ports, signal);
    expect(out.error).toBeInstanceOf(Error);
    const s = f.statuses.at(-1);
    expect(s?.webhookPath).toBeUndefined();
    expect(s?.observedGeneration).toBeUndefined();
    const ready = s?.conditions?.find((c) => c.type === 'Ready');
    expect(ready).toMatchObject({
      status: 'False',
      reason: 'TokenNotFound',
      message: `unable to read token from secret 'apps/token' error: secrets "token" not found`,
    });
    expect(s?.conditions?.find((c) => c.type === 'Reconciling')).toMatchObject({
      status: 'True',
      reason: 'ProgressingWithRetry',
      message: 'Reconciliation in progress',
    });
    expect(f.events).toEqual([{ type: 'Warning', reason: 'Failed', message: ready?.message }]);
  });

  it('a Secret without the token key fails with Flux message', async () => {
    const f = fakePorts({ 'apps/token': { other: 'x' } });
    await reconcileReceiver(receiver(), f.ports, signal);
    expect(f.statuses.at(-1)?.conditions?.find((c) => c.type === 'Ready')?.message).toBe(
      "invalid 'apps/token' secret data: required fields 'token'",
    );
  });

  it('CEL resource filters and generic-oidc stall with a clear reason instead of being ignored', async () => {
    const f = fakePorts({ 'apps/token': { token: 's3cret' } });
    expect(await reconcileReceiver(receiver({ resourceFilter: 'true' }), f.ports, signal)).toEqual({});
    const s = f.statuses.at(-1);
    expect(s?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'InvalidCELExpression',
    });
    expect(s?.conditions?.find((c) => c.type === 'Stalled')?.message).toMatch(/CEL resource filters are not supported/);
    expect(s?.webhookPath).toBeUndefined();
  });

  it('adds the finalizer first, removes it on deletion, leaves a suspended Receiver alone', async () => {
    const f = fakePorts({ 'apps/token': { token: 's3cret' } });
    const fresh = receiver();
    fresh.metadata.finalizers = [];
    await reconcileReceiver(fresh, f.ports, signal);
    expect(f.finalizers).toEqual([true]);
    const deleting = receiver();
    deleting.metadata.deletionTimestamp = '2026-12-04T10:00:00Z';
    await reconcileReceiver(deleting, f.ports, signal);
    expect(f.finalizers).toEqual([true, false]);
    const before = f.statuses.length;
    expect(await reconcileReceiver(receiver({ suspend: true }), f.ports, signal)).toEqual({});
    expect(f.statuses.length).toBe(before);
  });
});
