import { groupOf, type KubeObject } from '../util/kube-object.ts';

/**
 * kstatus (kubernetes-sigs/cli-utils `pkg/kstatus/status`), the readiness rules Flux's health checks use: a pure
 * function of the object's JSON. `Current` means fully reconciled; `Failed` means it will not get there on its own.
 */
export type HealthStatus = 'InProgress' | 'Failed' | 'Current' | 'Terminating' | 'NotFound' | 'Unknown';

export interface HealthResult {
  status: HealthStatus;
  message: string;
  /** Short CamelCase reason (kstatus condition reason), e.g. `LessAvailable`, `ProgressDeadlineExceeded`. */
  reason?: string;
}

interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

type Json = Record<string, unknown>;

function field(obj: unknown, path: string): unknown {
  let cur = obj;
  for (const p of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Json)[p];
  }
  return cur;
}

const int = (obj: unknown, path: string, def: number): number => {
  const v = field(obj, path);
  return typeof v === 'number' ? v : def;
};
const str = (obj: unknown, path: string, def: string): string => {
  const v = field(obj, path);
  return typeof v === 'string' ? v : def;
};
const conditionsOf = (obj: unknown): Condition[] => {
  const c = field(obj, 'status.conditions');
  return Array.isArray(c) ? (c as Condition[]) : [];
};

const current = (message: string): HealthResult => ({ status: 'Current', message });
const inProgress = (reason: string, message: string): HealthResult => ({ status: 'InProgress', reason, message });
const failed = (reason: string, message: string): HealthResult => ({ status: 'Failed', reason, message });

/** How long a Pod may be Pending and Unschedulable before it counts as Failed (the scheduler retries meanwhile). */
const UNSCHEDULABLE_GRACE_MS = 15_000;

export function computeStatus(obj: KubeObject, now: number = Date.now()): HealthResult {
  if (obj.metadata.deletionTimestamp) return { status: 'Terminating', message: 'Resource scheduled for deletion' };
  const generation = obj.metadata.generation;
  const observed = field(obj, 'status.observedGeneration');
  if (typeof generation === 'number' && typeof observed === 'number' && observed !== generation) {
    return inProgress(
      'LatestGenerationNotObserved',
      `${obj.kind} generation is ${generation}, but latest observed generation is ${observed}`,
    );
  }
  const conditions = conditionsOf(obj);
  for (const c of conditions) {
    if (c.type === 'Reconciling' && c.status === 'True') return inProgress(c.reason ?? 'Reconciling', c.message ?? '');
    if (c.type === 'Stalled' && c.status === 'True') return failed(c.reason ?? 'Stalled', c.message ?? '');
  }
  const group = groupOf(obj.apiVersion);
  const rule = RULES[group ? `${group}/${obj.kind}` : obj.kind];
  if (rule) return rule(obj, conditions, now);
  // Custom resources that follow the Ready-condition convention (Flux's own kinds, cert-manager, ...).
  const ready = conditions.find((c) => c.type === 'Ready');
  if (ready?.status === 'True') return current(ready.message ?? 'Resource is Ready');
  if (ready) return inProgress(ready.reason ?? 'NotReady', ready.message ?? 'Resource is not Ready');
  return current('Resource is current');
}

type Rule = (obj: KubeObject, conditions: Condition[], now: number) => HealthResult;

const alwaysReady: Rule = () => current('Resource is always ready');

const RULES: Record<string, Rule> = {
  Service: service,
  Pod: pod,
  Secret: alwaysReady,
  ConfigMap: alwaysReady,
  PersistentVolumeClaim: pvc,
  'apps/StatefulSet': statefulSet,
  'apps/DaemonSet': daemonSet,
  'extensions/DaemonSet': daemonSet,
  'apps/Deployment': deployment,
  'extensions/Deployment': deployment,
  'apps/ReplicaSet': replicaSet,
  'extensions/ReplicaSet': replicaSet,
  'policy/PodDisruptionBudget': () => current('AllowedDisruptions has been computed.'),
  'batch/CronJob': alwaysReady,
  'batch/Job': job,
  'apiextensions.k8s.io/CustomResourceDefinition': crd,
};

function deployment(obj: KubeObject, conditions: Condition[]): HealthResult {
  // Without progressDeadlineSeconds the controller never sets Progressing, so it cannot be required.
  let progressing = field(obj, 'spec.progressDeadlineSeconds') === undefined;
  let available = false;
  for (const c of conditions) {
    if (c.type === 'Progressing') {
      if (c.reason === 'ProgressDeadlineExceeded')
        return failed('ProgressDeadlineExceeded', `Progress deadline exceeded${c.message ? `: ${c.message}` : ''}`);
      if (c.status === 'True' && c.reason === 'NewReplicaSetAvailable') progressing = true;
    }
    if (c.type === 'Available' && c.status === 'True') available = true;
  }
  const spec = int(obj, 'spec.replicas', 1);
  const replicas = int(obj, 'status.replicas', 0);
  const updated = int(obj, 'status.updatedReplicas', 0);
  const ready = int(obj, 'status.readyReplicas', 0);
  const avail = int(obj, 'status.availableReplicas', 0);
  if (spec > replicas) return inProgress('LessReplicas', `replicas: ${replicas}/${spec}`);
  if (spec > updated) return inProgress('LessUpdated', `Updated: ${updated}/${spec}`);
  if (replicas > spec) return inProgress('ExtraPods', `Pending termination: ${replicas - spec}`);
  if (updated > avail) return inProgress('LessAvailable', `Available: ${avail}/${updated}`);
  if (spec > ready) return inProgress('LessReady', `Ready: ${ready}/${spec}`);
  if (!progressing) return inProgress('ReplicaSetNotAvailable', 'ReplicaSet not Available');
  if (!available) return inProgress('DeploymentNotAvailable', 'Deployment not Available');
  return current(`Deployment is available. Replicas: ${replicas}`);
}

function statefulSet(obj: KubeObject): HealthResult {
  if (str(obj, 'spec.updateStrategy.type', '') === 'OnDelete')
    return current('StatefulSet is using the ondelete update strategy');
  const spec = int(obj, 'spec.replicas', 1);
  const ready = int(obj, 'status.readyReplicas', 0);
  const currentReplicas = int(obj, 'status.currentReplicas', 0);
  const updated = int(obj, 'status.updatedReplicas', 0);
  const replicas = int(obj, 'status.replicas', 0);
  const partition = int(obj, 'spec.updateStrategy.rollingUpdate.partition', -1);
  if (spec > replicas) return inProgress('LessReplicas', `Replicas: ${replicas}/${spec}`);
  if (spec > ready) return inProgress('LessReady', `Ready: ${ready}/${spec}`);
  if (replicas > spec) return inProgress('ExtraPods', `Pending termination: ${replicas - spec}`);
  if (partition !== -1) {
    if (updated < spec - partition) return inProgress('PartitionRollout', `updated: ${updated}/${spec - partition}`);
    return current(`Partition rollout complete. updated: ${updated}`);
  }
  if (spec > currentReplicas) return inProgress('LessCurrent', `current: ${currentReplicas}/${spec}`);
  if (str(obj, 'status.currentRevision', '') !== str(obj, 'status.updateRevision', ''))
    return inProgress('RevisionMismatch', 'Waiting for updated revision to match current');
  return current(`All replicas scheduled as expected. Replicas: ${replicas}`);
}

function daemonSet(obj: KubeObject): HealthResult {
  const desired = int(obj, 'status.desiredNumberScheduled', -1);
  const cur = int(obj, 'status.currentNumberScheduled', 0);
  const updated = int(obj, 'status.updatedNumberScheduled', 0);
  const avail = int(obj, 'status.numberAvailable', 0);
  const ready = int(obj, 'status.numberReady', 0);
  if (desired === -1) return inProgress('NoDesiredNumber', 'Missing .status.desiredNumberScheduled');
  if (desired > cur) return inProgress('LessCurrent', `Current: ${cur}/${desired}`);
  if (desired > updated) return inProgress('LessUpdated', `Updated: ${updated}/${desired}`);
  if (desired > avail) return inProgress('LessAvailable', `Available: ${avail}/${desired}`);
  if (desired > ready) return inProgress('LessReady', `Ready: ${ready}/${desired}`);
  return current(`All replicas scheduled as expected. Replicas: ${desired}`);
}

function replicaSet(obj: KubeObject, conditions: Condition[]): HealthResult {
  if (conditions.some((c) => c.type === 'ReplicaFailure' && c.status === 'True'))
    return inProgress('ReplicaFailure', 'Replica Failure condition. Check Pods');
  const spec = int(obj, 'spec.replicas', 1);
  const replicas = int(obj, 'status.replicas', 0);
  const ready = int(obj, 'status.readyReplicas', 0);
  const avail = int(obj, 'status.availableReplicas', 0);
  const labelled = int(obj, 'status.fullyLabeledReplicas', 0);
  if (spec > labelled) return inProgress('LessLabelled', `Labelled: ${labelled}/${spec}`);
  if (spec > avail) return inProgress('LessAvailable', `Available: ${avail}/${spec}`);
  if (spec > ready) return inProgress('LessReady', `Ready: ${ready}/${spec}`);
  if (replicas > spec) return inProgress('ExtraPods', `Pending termination: ${replicas - spec}`);
  return current(`ReplicaSet is available. Replicas: ${replicas}`);
}

function pvc(obj: KubeObject): HealthResult {
  const phase = str(obj, 'status.phase', 'unknown');
  return phase === 'Bound' ? current('PVC is Bound') : inProgress('NotBound', `PVC is not Bound. phase: ${phase}`);
}

function pod(obj: KubeObject, conditions: Condition[], now: number): HealthResult {
  const phase = str(obj, 'status.phase', '');
  switch (phase) {
    case 'Succeeded':
      return current('Pod has completed successfully');
    case 'Failed':
      return current('Pod has completed, but not successfully');
    case 'Running': {
      if (conditions.some((c) => c.type === 'Ready' && c.status === 'True')) return current('Pod is Ready');
      const statuses = field(obj, 'status.containerStatuses');
      const looping = (Array.isArray(statuses) ? (statuses as Json[]) : [])
        .filter((s) => field(s, 'state.waiting.reason') === 'CrashLoopBackOff')
        .map((s) => String(s.name));
      if (looping.length) return failed('ContainerCrashLooping', `Containers in CrashLoop state: ${looping.join(',')}`);
      return inProgress('PodRunningNotReady', 'Pod is running but is not Ready');
    }
    case 'Pending': {
      const c = conditions.find((x) => x.type === 'PodScheduled' && x.status === 'False');
      if (c?.reason === 'Unschedulable') {
        const since = c.lastTransitionTime ? Date.parse(c.lastTransitionTime) : 0;
        if (now - since > UNSCHEDULABLE_GRACE_MS)
          return failed('PodUnschedulable', `Pod could not be scheduled${c.message ? `: ${c.message}` : ''}`);
      }
      return inProgress('PodPending', 'Pod is in the Pending phase');
    }
    case '':
      return inProgress('PodNotObserved', 'Pod phase not available');
    default:
      return { status: 'Unknown', message: `unknown phase ${phase}` };
  }
}

function job(obj: KubeObject, conditions: Condition[]): HealthResult {
  const parallelism = int(obj, 'spec.parallelism', 1);
  const completions = int(obj, 'spec.completions', parallelism);
  const succeeded = int(obj, 'status.succeeded', 0);
  const failedCount = int(obj, 'status.failed', 0);
  for (const c of conditions) {
    if (c.type === 'Complete' && c.status === 'True')
      return current(`Job Completed. succeeded: ${succeeded}/${completions}`);
    if (c.type === 'Failed' && c.status === 'True')
      return failed('JobFailed', `Job Failed. failed: ${failedCount}/${completions}`);
  }
  if (str(obj, 'status.startTime', '') === '') return inProgress('JobNotStarted', 'Job not started');
  return current(
    `Job in progress. success:${succeeded}, active: ${int(obj, 'status.active', 0)}, failed: ${failedCount}`,
  );
}

function service(obj: KubeObject): HealthResult {
  if (str(obj, 'spec.type', 'ClusterIP') === 'LoadBalancer' && str(obj, 'spec.clusterIP', '') === '')
    return inProgress('NoIPAssigned', 'ClusterIP not set. Service type: LoadBalancer');
  return current('Service is ready');
}

function crd(_obj: KubeObject, conditions: Condition[]): HealthResult {
  for (const c of conditions) {
    if (c.type === 'NamesAccepted' && c.status === 'False')
      return failed(c.reason ?? 'NamesNotAccepted', c.message ?? '');
    if (c.type === 'Established') {
      if (c.status === 'False' && c.reason !== 'Installing')
        return failed(c.reason ?? 'NotEstablished', c.message ?? '');
      if (c.status === 'True') return current('CRD is established');
    }
  }
  return inProgress('Installing', 'Install in progress');
}
