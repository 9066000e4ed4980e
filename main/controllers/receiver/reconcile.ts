import type { ReconcileOutcome } from '../../engine/controller-manager.ts';
import {
  type ConditionContext,
  deleteCondition,
  getCondition,
  markFalse,
  markReconciling,
  markStalled,
  markTrue,
  setCondition,
} from '../../flux/conditions.ts';
import { formatDuration, parseDuration } from '../../flux/duration.ts';
import { Annotation, ConditionType, Reason } from '../../flux/meta.ts';
import { type Receiver, ReceiverReason, type ReceiverStatus, receiverWebhookPath } from '../../flux/notification.ts';
import { errorChain } from '../../util/errors.ts';
import { withFinalizer } from '../finalizer-guard.ts';
import type { ReceiverPorts } from './ports.ts';

/**
 * The Receiver reconciler (notification-controller's `receiver_controller.go`): the token from `spec.secretRef`
 * gives `status.webhookPath` (`/hook/<sha256(token+name+namespace)>`) and Ready "Receiver initialized for path: …";
 * a missing Secret or `token` key gives Ready=False TokenNotFound with Flux's message, clears the path (so the
 * receiver server stops answering on it) and is retried with backoff. Reconciled again every `spec.interval` (10m).
 */

const DEFAULT_INTERVAL = '10m';

/** Receivers that ask for something Fluxdeck cannot do: a stall, not a retry (the spec must change). */
function unsupported(receiver: Receiver): { reason: string; message: string } | undefined {
  const conf = 'Reconciliation failed terminally due to configuration error';
  // notification-controller evaluates these with cel-go; npm has no maintained CEL implementation to match it.
  if (receiver.spec.resourceFilter || receiver.spec.resources.some((r) => r.filter)) {
    return {
      reason: Reason.InvalidCELExpression,
      message: `${conf}: CEL resource filters are not supported by Fluxdeck; remove spec.resourceFilter or let in-cluster Flux serve this Receiver`,
    };
  }
  if (receiver.spec.type === 'generic-oidc') {
    return {
      reason: ReceiverReason.ValidationFailed,
      message: `${conf}: receiver type 'generic-oidc' is not supported by Fluxdeck`,
    };
  }
  return undefined;
}

export async function reconcileReceiver(
  receiver: Receiver,
  ports: ReceiverPorts,
  signal: AbortSignal,
): Promise<ReconcileOutcome> {
  return withFinalizer(receiver, ports, () => run(receiver, ports, signal));
}

async function run(receiver: Receiver, ports: ReceiverPorts, signal: AbortSignal): Promise<ReconcileOutcome> {
  const generation = receiver.metadata.generation ?? 0;
  const ctx: ConditionContext = { generation, now: ports.now() };
  const status: ReceiverStatus = { ...(receiver.status ?? {}), conditions: [...(receiver.status?.conditions ?? [])] };
  const requested = receiver.metadata.annotations?.[Annotation.ReconcileRequestedAt];
  if (requested !== undefined) status.lastHandledReconcileAt = requested;

  const stall = unsupported(receiver);
  if (stall) {
    status.conditions = markStalled(
      markFalse(status.conditions, { type: ConditionType.Ready, ...stall }, ctx),
      stall,
      ctx,
    );
    status.observedGeneration = generation;
    delete status.webhookPath;
    await ports.writeStatus(receiver, status);
    ports.event(receiver, { type: 'Warning', ...stall });
    return {};
  }

  status.conditions = markReconciling(
    status.conditions,
    { reason: Reason.Progressing, message: 'Reconciliation in progress' },
    ctx,
  );
  let token: string;
  try {
    token = await readToken(receiver, ports, signal);
  } catch (err) {
    return failed({ receiver, ports, status, ctx }, err);
  }
  return ready({ receiver, ports, status, ctx }, token);
}

/** One reconcile's object, ports and the status being built. */
interface Attempt {
  receiver: Receiver;
  ports: ReceiverPorts;
  status: ReceiverStatus;
  ctx: ConditionContext;
}

async function failed({ receiver, ports, status, ctx }: Attempt, err: unknown): Promise<ReconcileOutcome> {
  const message = errorChain(err);
  let conditions = markFalse(
    status.conditions,
    { type: ConditionType.Ready, reason: ReceiverReason.TokenNotFound, message },
    ctx,
  );
  // Flux's patch helper: a failed attempt keeps Reconciling, with ProgressingWithRetry.
  const reconciling = getCondition(conditions, ConditionType.Reconciling);
  if (reconciling) conditions = setCondition(conditions, { ...reconciling, reason: Reason.ProgressingWithRetry }, ctx);
  const next: ReceiverStatus = { ...status, conditions };
  // No path while there is no token: the receiver server answers nothing for this Receiver.
  delete next.webhookPath;
  await ports.writeStatus(receiver, next);
  ports.event(receiver, { type: 'Warning', reason: Reason.Failed, message });
  return { error: new Error(message, { cause: err }) };
}

async function ready({ receiver, ports, status, ctx }: Attempt, token: string): Promise<ReconcileOutcome> {
  const path = receiverWebhookPath(token, receiver.metadata.name ?? '', receiver.metadata.namespace ?? '');
  const conditions = markTrue(
    status.conditions,
    { type: ConditionType.Ready, reason: Reason.Succeeded, message: `Receiver initialized for path: ${path}` },
    ctx,
  );
  await ports.writeStatus(receiver, {
    ...status,
    conditions: deleteCondition(conditions, ConditionType.Reconciling),
    observedGeneration: ctx.generation,
    webhookPath: path,
  });
  const interval = parseDuration(receiver.spec.interval ?? DEFAULT_INTERVAL);
  ports.event(receiver, {
    type: 'Normal',
    reason: Reason.Succeeded,
    message: `Reconciliation finished, next run in ${formatDuration(interval)}`,
  });
  return { requeueAfterMs: interval };
}

/** The `token` key of `spec.secretRef`, failing with notification-controller's messages. */
async function readToken(receiver: Receiver, ports: ReceiverPorts, signal: AbortSignal): Promise<string> {
  const namespace = receiver.metadata.namespace ?? '';
  const name = receiver.spec.secretRef?.name ?? '';
  const secretName = `${namespace}/${name}`;
  let data: Record<string, string> | undefined;
  try {
    data = await ports.secret(namespace, name, signal);
  } catch (cause) {
    throw new Error(`unable to read token from secret '${secretName}' error: ${errorChain(cause)}`, { cause });
  }
  if (!data) throw new Error(`unable to read token from secret '${secretName}' error: secrets "${name}" not found`);
  const token = data.token;
  if (token === undefined) throw new Error(`invalid '${secretName}' secret data: required fields 'token'`);
  return token;
}
