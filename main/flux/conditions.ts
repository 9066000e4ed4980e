/**
 * Condition bookkeeping exactly as Flux's reconcilers do it (`fluxcd/pkg/runtime/conditions`): every written
 * condition carries the object's generation, `lastTransitionTime` moves only when status, reason or message change,
 * messages are trimmed to what the CRD accepts, conditions are kept in kstatus order (Stalled, Reconciling, Ready,
 * then the rest), and negative-polarity conditions exist only while True.
 *
 * All functions are pure: they take the current list and return a new one; the clock is an argument.
 */
import { Annotation, type Condition, type ConditionStatus, ConditionType, type FluxStatus, Reason } from './meta.ts';

/** The CRDs' `maxLength` of a condition message; longer messages are cut and end in `...`, as Flux does. */
export const MAX_CONDITION_MESSAGE_LENGTH = 32768;
const TRIMMED_SUFFIX = '...';

/**
 * "Abnormal-true" condition types: present only while True (Kubernetes API conventions). Marking one False removes
 * it, which is what Flux's reconcilers do with `conditions.Delete` once the problem is gone.
 */
export const NEGATIVE_POLARITY_CONDITIONS: ReadonlySet<string> = new Set([
  ConditionType.Reconciling,
  ConditionType.Stalled,
  'FetchFailed',
  'BuildFailed',
  'StorageOperationFailed',
  'ArtifactOutdated',
  'IncludeUnavailable',
]);

/** What a write needs besides the condition: the object's generation and the time of the change. */
export interface ConditionContext {
  generation: number;
  /** Defaults to the current time. */
  now?: Date;
}

/** A condition to write: type, reason and message (status comes from the mark function). */
export interface ConditionInput {
  type: string;
  reason: string;
  message: string;
}

type Conditions = readonly Condition[] | undefined;

export function getCondition(conditions: Conditions, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

export function hasCondition(conditions: Conditions, type: string): boolean {
  return getCondition(conditions, type) !== undefined;
}

export function isTrue(conditions: Conditions, type: string): boolean {
  return getCondition(conditions, type)?.status === 'True';
}

export function isFalse(conditions: Conditions, type: string): boolean {
  return getCondition(conditions, type)?.status === 'False';
}

/** True when the condition is Unknown or absent (Flux's `conditions.IsUnknown`). */
export function isUnknown(conditions: Conditions, type: string): boolean {
  const c = getCondition(conditions, type);
  return c === undefined || c.status === 'Unknown';
}

export function isStalled(conditions: Conditions): boolean {
  return !isTrue(conditions, ConditionType.Reconciling) && isTrue(conditions, ConditionType.Stalled);
}

export function isReconciling(conditions: Conditions): boolean {
  return !isTrue(conditions, ConditionType.Stalled) && isTrue(conditions, ConditionType.Reconciling);
}

/** Ready=True and neither stalled nor reconciling (`conditions.IsReady`). */
export function isReady(conditions: Conditions): boolean {
  return !isStalled(conditions) && !isReconciling(conditions) && isTrue(conditions, ConditionType.Ready);
}

/**
 * Writes a condition (`conditions.Set`): sets `observedGeneration`, trims the message, keeps the existing
 * `lastTransitionTime` unless status, reason or message changed, and returns the list in kstatus order.
 */
export function setCondition(
  conditions: Conditions,
  condition: ConditionInput & { status: ConditionStatus },
  ctx: ConditionContext,
): Condition[] {
  const next: Condition = {
    type: condition.type,
    status: condition.status,
    observedGeneration: ctx.generation,
    lastTransitionTime: transitionTime(ctx.now ?? new Date()),
    reason: condition.reason,
    message: trimConditionMessage(condition.message),
  };
  const list = [...(conditions ?? [])];
  const i = list.findIndex((c) => c.type === next.type);
  const existing = list[i];
  if (existing === undefined) list.push(next);
  else list[i] = sameState(existing, next) ? { ...next, lastTransitionTime: existing.lastTransitionTime } : next;
  return sortConditions(list);
}

export function markTrue(conditions: Conditions, c: ConditionInput, ctx: ConditionContext): Condition[] {
  return setCondition(conditions, { ...c, status: 'True' }, ctx);
}

/** Marks a condition False; a negative-polarity condition is removed instead (see {@link NEGATIVE_POLARITY_CONDITIONS}). */
export function markFalse(conditions: Conditions, c: ConditionInput, ctx: ConditionContext): Condition[] {
  if (NEGATIVE_POLARITY_CONDITIONS.has(c.type)) return deleteCondition(conditions, c.type);
  return setCondition(conditions, { ...c, status: 'False' }, ctx);
}

export function markUnknown(conditions: Conditions, c: ConditionInput, ctx: ConditionContext): Condition[] {
  return setCondition(conditions, { ...c, status: 'Unknown' }, ctx);
}

/** Reconciling=True and Stalled removed: called when a reconcile starts making progress. */
export function markReconciling(
  conditions: Conditions,
  c: Omit<ConditionInput, 'type'>,
  ctx: ConditionContext,
): Condition[] {
  return markTrue(deleteCondition(conditions, ConditionType.Stalled), { ...c, type: ConditionType.Reconciling }, ctx);
}

/** Stalled=True and Reconciling removed: the object cannot make progress without a change by a human. */
export function markStalled(
  conditions: Conditions,
  c: Omit<ConditionInput, 'type'>,
  ctx: ConditionContext,
): Condition[] {
  return markTrue(deleteCondition(conditions, ConditionType.Reconciling), { ...c, type: ConditionType.Stalled }, ctx);
}

/**
 * Ready=False with the failure, and Reconciling kept as it is or else set to ProgressingWithRetry: what the
 * kustomize and helm controllers record when an attempt fails and will be retried.
 */
export function markRetrying(
  conditions: Conditions,
  failure: { reason: string; message: string },
  ctx: ConditionContext,
): Condition[] {
  const out = markFalse(conditions, { type: ConditionType.Ready, ...failure }, ctx);
  if (out.some((c) => c.type === ConditionType.Reconciling)) return out;
  return markReconciling(out, { reason: Reason.ProgressingWithRetry, message: failure.message }, ctx);
}

export function deleteCondition(conditions: Conditions, type: string): Condition[] {
  return (conditions ?? []).filter((c) => c.type !== type);
}

/** Options of {@link summarize}: Flux's `WithConditions` and `WithNegativePolarityConditions`. */
export interface SummaryOptions {
  /** Conditions that take part, in priority order for the reason and message; default all but the target. */
  conditions?: readonly string[];
  /** Which of them are negative polarity; default {@link NEGATIVE_POLARITY_CONDITIONS}. */
  negativePolarity?: ReadonlySet<string>;
}

/**
 * Sets `target` (usually Ready) to the summary of other conditions, as `conditions.SetSummary` does for the source
 * kinds: the most severe group wins (negative-polarity True, then positive False, positive True, negative False,
 * Unknown), its first condition in priority order gives reason and message, and a negative-polarity condition's
 * status is inverted for a positive target. Leaves the list unchanged when no condition is in scope.
 */
export function summarize(
  conditions: Conditions,
  target: string,
  options: SummaryOptions,
  ctx: ConditionContext,
): Condition[] {
  const negative = options.negativePolarity ?? NEGATIVE_POLARITY_CONDITIONS;
  const order = options.conditions;
  const inScope = (conditions ?? []).filter(
    (c) => c.type !== target && (order === undefined || order.includes(c.type)),
  );
  if (inScope.length === 0) return [...(conditions ?? [])];
  const priority = (c: Condition): number => mergePriority(c.status, negative.has(c.type));
  const top = Math.min(...inScope.map(priority));
  const group = sortConditions(inScope.filter((c) => priority(c) === top));
  const first = order?.map((t) => group.find((c) => c.type === t)).find((c) => c !== undefined) ?? group[0];
  if (first === undefined) return [...(conditions ?? [])];
  const invert = negative.has(first.type) !== negative.has(target);
  const status: ConditionStatus =
    first.status === 'Unknown' || !invert ? first.status : first.status === 'True' ? 'False' : 'True';
  return setCondition(conditions, { type: target, status, reason: first.reason, message: first.message }, ctx);
}

function mergePriority(status: ConditionStatus, negativePolarity: boolean): number {
  if (status === 'True') return negativePolarity ? 0 : 2;
  if (status === 'False') return negativePolarity ? 3 : 1;
  return 4;
}

/** The parts of an object that {@link finalizeStatus} reads. */
export interface FinalizeInput<S extends FluxStatus> {
  generation: number;
  annotations?: Record<string, string>;
  status: S;
}

/**
 * The end of every reconcile (Kustomization's `finalizeStatus`, and the source reconcilers' result handling):
 * records the handled reconcile request, and when Ready=True drops Reconciling and sets `observedGeneration`;
 * when Ready=False with Reconciling still present, switches Reconciling's reason to `ProgressingWithRetry`.
 */
export function finalizeStatus<S extends FluxStatus>(input: FinalizeInput<S>, ctx: ConditionContext): S {
  const status: S = { ...input.status };
  const requestedAt = input.annotations?.[Annotation.ReconcileRequestedAt];
  if (requestedAt !== undefined) status.lastHandledReconcileAt = requestedAt;
  if (isTrue(status.conditions, ConditionType.Ready)) {
    status.conditions = deleteCondition(status.conditions, ConditionType.Reconciling);
    status.observedGeneration = input.generation;
  }
  const reconciling = getCondition(status.conditions, ConditionType.Reconciling);
  if (isFalse(status.conditions, ConditionType.Ready) && reconciling) {
    status.conditions = setCondition(status.conditions, { ...reconciling, reason: Reason.ProgressingWithRetry }, ctx);
  }
  return status;
}

/** Cuts a message to {@link MAX_CONDITION_MESSAGE_LENGTH} characters (code points, as the apiserver counts). */
export function trimConditionMessage(message: string, max = MAX_CONDITION_MESSAGE_LENGTH): string {
  if (message.length <= max) return message;
  const chars = Array.from(message);
  if (chars.length <= max) return message;
  return chars.slice(0, Math.max(max - TRIMMED_SUFFIX.length, 0)).join('') + TRIMMED_SUFFIX;
}

/** kstatus order, for people reading `kubectl get -o yaml`: Stalled, Reconciling, Ready, then newest first by type. */
export function sortConditions(conditions: Condition[]): Condition[] {
  return conditions.sort(compareConditions);
}

const WEIGHT: Record<string, number> = {
  [ConditionType.Stalled]: 0,
  [ConditionType.Reconciling]: 1,
  [ConditionType.Ready]: 2,
};

function compareConditions(a: Condition, b: Condition): number {
  const wa = WEIGHT[a.type];
  const wb = WEIGHT[b.type];
  if (wa !== undefined || wb !== undefined) return (wa ?? 3) - (wb ?? 3);
  const ga = a.observedGeneration ?? 0;
  const gb = b.observedGeneration ?? 0;
  if (ga !== gb) return gb - ga;
  return a.type < b.type ? -1 : a.type > b.type ? 1 : 0;
}

function sameState(a: Condition, b: Condition): boolean {
  return a.status === b.status && a.reason === b.reason && a.message === b.message;
}

/** `metav1.Time` as Flux writes it: UTC, truncated to the second. */
function transitionTime(now: Date): string {
  return new Date(Math.floor(now.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
