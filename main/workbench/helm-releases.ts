/**
 * The HelmRelease panel's reads and actions, done as Flux users do them: force upgrade and reset are the annotations
 * `flux reconcile hr --force` / `--reset` set; tests, rollback and uninstall use Helm's own code through the helper,
 * against the same cluster access the controller uses (kubeConfig.secretRef, serviceAccountName impersonation).
 * A rollback suspends the HelmRelease first, or helm-controller would upgrade straight back to the state in Git.
 */
import { parse } from 'yaml';

import {
  FluxdeckError,
  type HelmReleaseKey,
  type HelmReleaseView,
  type HelmRollbackPreview,
} from '../contract/index.ts';
import { readValuesSources } from '../controllers/helmrelease/release-inputs.ts';
import { releaseKube } from '../controllers/helmrelease/release-kube.ts';
import { digestValues } from '../controllers/helmrelease/values.ts';
import {
  describeFluxRef,
  type FluxObjectRef,
  requestReconcile,
  setSuspended,
} from '../controllers/requests/flux-requests.ts';
import type { ClusterSession } from '../engine/cluster-session.ts';
import { parseDuration } from '../flux/duration.ts';
import {
  type HelmRelease,
  helmReleaseName,
  helmReleaseNamespace,
  helmReleaseTimeoutMs,
  helmStorageNamespace,
} from '../flux/helm.ts';
import { fluxKinds } from '../flux/kinds.ts';
import { FLUX_FINALIZER } from '../flux/meta.ts';
import { type HelmClient, isHelmError, type KubeAccess, type ReleaseInfo, type ReleaseTarget } from '../helm/index.ts';
import type { ClusterClient } from '../kube/cluster-client.ts';
import { errorMessage } from '../util/errors.ts';
import type { KubeObject } from '../util/kube-object.ts';
import { asFluxdeckError } from './errors.ts';
import { ACTION_TIMEOUT_MS, outcome, progressFor } from './flux-verbs.ts';
import { historyRows, maskedManifest, testResults, testsPassed, valuesProvenance } from './helm-release-view.ts';
import type { ActionOptions, EngineOutcome, HelmReleasePort } from './workbench.ts';

/** Labels kustomize-controller puts on what it applies: the Kustomization that would recreate a deleted object. */
const KS_NAME = 'kustomize.toolkit.fluxcd.io/name';
const KS_NAMESPACE = 'kustomize.toolkit.fluxcd.io/namespace';

export interface HelmReleaseDeps {
  session(cluster: string): ClusterSession;
  helm(): HelmClient;
  /** The session's own kubeconfig context for the helper (kept in memory). */
  kubeAccess(cluster: string): KubeAccess;
  /** How often the uninstall polls for the HelmRelease to be gone. */
  pollMs?: number;
}

const hrRef = (key: HelmReleaseKey): FluxObjectRef => ({
  kind: fluxKinds.HelmRelease,
  namespace: key.namespace,
  name: key.name,
});
const ksRef = (namespace: string, name: string): FluxObjectRef => ({
  kind: fluxKinds.Kustomization,
  namespace,
  name,
});
const objectKey = (ref: FluxObjectRef): { apiVersion: string; kind: string; namespace: string; name: string } => ({
  apiVersion: ref.kind.apiVersion,
  kind: ref.kind.kind,
  namespace: ref.namespace,
  name: ref.name,
});

/**
 * The release that exists: the one helm-controller last recorded (the spec may have renamed it since), else the one
 * the spec names; stored where the status says it was stored.
 */
export function releaseTargetOf(hr: HelmRelease): Omit<ReleaseTarget, 'kube'> {
  const head = hr.status?.history?.[0];
  return {
    releaseName: head?.name ?? helmReleaseName(hr),
    namespace: head?.namespace ?? helmReleaseNamespace(hr),
    storageNamespace: hr.status?.storageNamespace || helmStorageNamespace(hr),
  };
}

const timeoutOf = (hr: HelmRelease, own: string | undefined): number =>
  own ? parseDuration(own) : helmReleaseTimeoutMs(hr.spec);

function managedBy(hr: HelmRelease): { namespace: string; name: string } | undefined {
  const labels = hr.metadata.labels ?? {};
  const name = labels[KS_NAME];
  return name ? { namespace: labels[KS_NAMESPACE] ?? hr.metadata.namespace ?? '', name } : undefined;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

const what = (key: HelmReleaseKey): string => `HelmRelease ${key.namespace}/${key.name} in ${key.cluster}`;

/** Reads of a HelmRelease, its cluster access and Helm's records of its release. */
class ReleaseReader {
  readonly deps: HelmReleaseDeps;

  constructor(deps: HelmReleaseDeps) {
    this.deps = deps;
  }

  client(cluster: string): ClusterClient {
    return this.deps.session(cluster).client;
  }

  async hr(key: HelmReleaseKey, signal: AbortSignal): Promise<HelmRelease> {
    const hr = await this.client(key.cluster).tryGet<HelmRelease>(objectKey(hrRef(key)), { signal });
    if (!hr) throw new FluxdeckError('not-found', `${what(key)} does not exist.`);
    return hr;
  }

  access(key: HelmReleaseKey, hr: HelmRelease, signal: AbortSignal): Promise<KubeAccess> {
    return releaseKube(this.client(key.cluster), hr, () => this.deps.kubeAccess(key.cluster), signal);
  }

  /** Helm's records of the release, oldest first; none when it was never installed. */
  async history(
    key: HelmReleaseKey,
    hr: HelmRelease,
    signal: AbortSignal,
    withManifest = false,
  ): Promise<ReleaseInfo[]> {
    try {
      const kube = await this.access(key, hr, signal);
      const { releases } = await this.deps
        .helm()
        .call('history', { kube, ...releaseTargetOf(hr), ...(withManifest && { withManifest }) }, { signal });
      return [...releases].sort((a, b) => a.version - b.version);
    } catch (err) {
      if (isHelmError(err, 'ReleaseNotFound')) return [];
      throw err;
    }
  }

  async kustomizationSuspended(
    cluster: string,
    by: { namespace: string; name: string },
    signal: AbortSignal,
  ): Promise<boolean> {
    const ks = await this.client(cluster).tryGet<KubeObject & { spec?: { suspend?: boolean } }>(
      objectKey(ksRef(by.namespace, by.name)),
      { signal },
    );
    return ks?.spec?.suspend === true;
  }
}

async function releaseView(r: ReleaseReader, key: HelmReleaseKey, signal: AbortSignal): Promise<HelmReleaseView> {
  const hr = await r.hr(key, signal);
  const target = releaseTargetOf(hr);
  let releases: ReleaseInfo[] | undefined;
  let helmError: string | undefined;
  try {
    releases = (await r.history(key, hr, signal)).reverse();
  } catch (err) {
    helmError = `Helm's records of release ${target.namespace}/${target.releaseName} could not be read (${errorMessage(err)}); the history shows what helm-controller recorded.`;
  }
  const sources = await readValuesSources(r.deps.session(key.cluster).client, hr, signal);
  const { entries, problems } = valuesProvenance(hr.spec, sources, (text) => parse(text) as unknown);
  const by = managedBy(hr);
  return {
    key,
    releaseName: target.releaseName,
    targetNamespace: target.namespace,
    storageNamespace: target.storageNamespace ?? target.namespace,
    history: historyRows(hr.status?.history, releases, (rel) => digestValues(rel.config ?? {})),
    ...(helmError && { helmError }),
    values: entries,
    valuesProblems: problems,
    tests: testResults(hr.status?.history?.[0], releases?.[0]),
    driftMode: hr.spec.driftDetection?.mode ?? 'disabled',
    ...(by && { managedBy: { ...by, suspended: await r.kustomizationSuspended(key.cluster, by, signal) } }),
  };
}

async function rollbackPreview(
  r: ReleaseReader,
  key: HelmReleaseKey,
  revision: number,
  signal: AbortSignal,
): Promise<HelmRollbackPreview> {
  const hr = await r.hr(key, signal);
  const releases = await r.history(key, hr, signal, true);
  const current = releases.at(-1);
  const target = releases.find((rel) => rel.version === revision);
  if (!current || !target)
    throw new FluxdeckError(
      'not-found',
      `Release ${releaseTargetOf(hr).releaseName} has no revision ${revision} in Helm's history (Helm keeps ${hr.spec.maxHistory ?? 5} revisions): pick one the history lists.`,
    );
  return {
    key,
    currentRevision: current.version,
    targetRevision: revision,
    current: maskedManifest(current.manifest ?? ''),
    target: maskedManifest(target.manifest ?? ''),
  };
}

/** `flux reconcile hr --force` or `--reset`: the annotations, then the wait for the controller's answer. */
async function annotate(
  r: ReleaseReader,
  key: HelmReleaseKey,
  mode: 'force' | 'reset',
  o: ActionOptions,
): Promise<EngineOutcome> {
  try {
    return outcome(
      await requestReconcile(r.client(key.cluster), hrRef(key), {
        [mode]: true,
        signal: o.signal,
        timeoutMs: ACTION_TIMEOUT_MS,
        progress: progressFor(key, o),
      }),
    );
  } catch (err) {
    throw asFluxdeckError(err, `${mode === 'force' ? 'Force upgrade' : 'Reset'} of ${what(key)} failed`);
  }
}

/** Flux's test filters as `helm test --filter` takes them. */
function testFilters(hr: HelmRelease): Record<string, string[]> | undefined {
  const out: Record<string, string[]> = {};
  for (const f of hr.spec.test?.filters ?? []) (out[f.exclude ? '!name' : 'name'] ??= []).push(f.name);
  return Object.keys(out).length > 0 ? out : undefined;
}

async function runTests(r: ReleaseReader, key: HelmReleaseKey, o: ActionOptions): Promise<EngineOutcome> {
  try {
    const hr = await r.hr(key, o.signal);
    const target = releaseTargetOf(hr);
    const filters = testFilters(hr);
    o.onProgress({
      phase: 'waiting',
      message: `running the tests of release ${target.namespace}/${target.releaseName} (helm test)`,
    });
    const rel = await r.deps.helm().call(
      'test',
      {
        kube: await r.access(key, hr, o.signal),
        ...target,
        timeoutMs: timeoutOf(hr, hr.spec.test?.timeout),
        ...(filters && { filters }),
      },
      { signal: o.signal },
    );
    const { passed, failed, count } = testsPassed(rel);
    const revision = rel.chart.version;
    if (count === 0) return { ok: true, message: `Chart ${rel.chart.name} has no tests`, revision };
    return passed
      ? { ok: true, message: `${count} test${count === 1 ? '' : 's'} of revision ${rel.version} passed`, revision }
      : { ok: false, message: `Tests failed: ${failed.join(', ')}`, revision };
  } catch (err) {
    if (isHelmError(err, 'ReleaseFailed') || isHelmError(err, 'Timeout'))
      return {
        ok: false,
        message: `${errorMessage(err)}. The test pods' logs say why (kubectl logs -n <namespace> <test pod>).`,
      };
    throw asFluxdeckError(err, `Running the tests of ${what(key)} failed`);
  }
}

async function rollback(
  r: ReleaseReader,
  key: HelmReleaseKey,
  revision: number,
  o: ActionOptions,
): Promise<EngineOutcome> {
  const ref = hrRef(key);
  let suspended = false;
  try {
    const hr = await r.hr(key, o.signal);
    const target = releaseTargetOf(hr);
    if (!hr.spec.suspend) {
      o.onProgress({
        phase: 'requested',
        message: `suspending ${describeFluxRef(ref)} so helm-controller does not upgrade it back`,
      });
      await setSuspended(r.client(key.cluster), ref, true, {
        reason: `rolled back to revision ${revision} with Fluxdeck`,
        signal: o.signal,
      });
    }
    suspended = true;
    o.onProgress({
      phase: 'waiting',
      message: `rolling release ${target.namespace}/${target.releaseName} back to revision ${revision}`,
    });
    const rb = hr.spec.rollback ?? {};
    const rel = await r.deps.helm().call(
      'rollback',
      {
        kube: await r.access(key, hr, o.signal),
        ...target,
        version: revision,
        timeoutMs: timeoutOf(hr, rb.timeout),
        ...(rb.disableWait !== undefined && { disableWait: rb.disableWait }),
        ...(rb.disableHooks !== undefined && { disableHooks: rb.disableHooks }),
        ...(rb.force !== undefined && { force: rb.force }),
        ...(rb.cleanupOnFail !== undefined && { cleanupOnFail: rb.cleanupOnFail }),
        maxHistory: hr.spec.maxHistory ?? 5,
      },
      { signal: o.signal },
    );
    return {
      ok: true,
      message: `Rolled back to revision ${revision} (now revision ${rel.version}, ${rel.chart.name}@${rel.chart.version}). ${describeFluxRef(ref)} stays suspended: resume it to return to the state in Git.`,
      revision: rel.chart.version,
    };
  } catch (err) {
    const e = asFluxdeckError(err, `Rollback of ${what(key)} to revision ${revision} failed`);
    if (!suspended) throw e;
    throw new FluxdeckError(
      e.code,
      `${e.message}. ${describeFluxRef(ref)} is suspended: resume it to return to the state in Git, or pick another revision.`,
      { cause: err },
    );
  }
}

/** `helm uninstall` with the HelmRelease's uninstall options. */
async function helmUninstall(
  r: ReleaseReader,
  key: HelmReleaseKey,
  hr: HelmRelease,
  signal: AbortSignal,
): Promise<void> {
  const u = hr.spec.uninstall ?? {};
  await r.deps.helm().call(
    'uninstall',
    {
      kube: await r.access(key, hr, signal),
      ...releaseTargetOf(hr),
      ignoreNotFound: true,
      timeoutMs: timeoutOf(hr, u.timeout),
      ...(u.keepHistory !== undefined && { keepHistory: u.keepHistory }),
      ...(u.disableHooks !== undefined && { disableHooks: u.disableHooks }),
      ...(u.disableWait !== undefined && { disableWait: u.disableWait }),
      ...(u.deletionPropagation && { deletionPropagation: u.deletionPropagation }),
    },
    { signal },
  );
}

async function uninstall(
  r: ReleaseReader,
  key: HelmReleaseKey,
  o: ActionOptions & { suspendKustomization: boolean },
): Promise<EngineOutcome> {
  const client = r.client(key.cluster);
  const ref = hrRef(key);
  try {
    const hr = await r.hr(key, o.signal);
    const target = releaseTargetOf(hr);
    const release = `${target.namespace}/${target.releaseName}`;
    const by = managedBy(hr);
    if (by && o.suspendKustomization) {
      o.onProgress({
        phase: 'requested',
        message: `suspending Kustomization ${by.namespace}/${by.name} so it does not recreate the HelmRelease`,
      });
      await setSuspended(client, ksRef(by.namespace, by.name), true, {
        reason: `HelmRelease ${key.namespace}/${key.name} uninstalled with Fluxdeck`,
        signal: o.signal,
      });
    }
    // helm-controller's finalizer skips the uninstall of a suspended HelmRelease (and without the finalizer nobody
    // uninstalls): uninstall it here then.
    if (hr.spec.suspend || !(hr.metadata.finalizers ?? []).includes(FLUX_FINALIZER)) {
      o.onProgress({ phase: 'waiting', message: `uninstalling release ${release} (helm uninstall)` });
      await helmUninstall(r, key, hr, o.signal);
    }
    o.onProgress({
      phase: 'waiting',
      message: `deleting ${describeFluxRef(ref)}; its finalizer uninstalls ${release}`,
    });
    await client.delete(objectKey(ref), { signal: o.signal });
    const deadline = Date.now() + timeoutOf(hr, hr.spec.uninstall?.timeout) + 60_000;
    while (await client.tryGet(objectKey(ref), { signal: o.signal })) {
      if (Date.now() > deadline)
        return {
          ok: false,
          message: `${describeFluxRef(ref)} is still there: its finalizer has not finished uninstalling release ${release}. Its events say why; is a controller running for this cluster?`,
        };
      await sleep(r.deps.pollMs ?? 500, o.signal);
    }
    const recreated =
      by && !o.suspendKustomization
        ? ` Kustomization ${by.namespace}/${by.name} will recreate it on its next reconcile.`
        : '';
    return { ok: true, message: `Uninstalled release ${release} and deleted ${describeFluxRef(ref)}.${recreated}` };
  } catch (err) {
    throw asFluxdeckError(err, `Uninstall of ${what(key)} failed`);
  }
}

export function helmReleases(deps: HelmReleaseDeps): HelmReleasePort {
  const r = new ReleaseReader(deps);
  return {
    view: (key, signal) =>
      releaseView(r, key, signal).catch((err: unknown) => {
        throw asFluxdeckError(err, `Could not read ${what(key)}`);
      }),
    rollbackPreview: (key, revision, signal) =>
      rollbackPreview(r, key, revision, signal).catch((err: unknown) => {
        throw asFluxdeckError(err, `Could not compare ${what(key)} with revision ${revision}`);
      }),
    forceUpgrade: (key, o) => annotate(r, key, 'force', o),
    reset: (key, o) => annotate(r, key, 'reset', o),
    test: (key, o) => runTests(r, key, o),
    rollback: (key, revision, o) => rollback(r, key, revision, o),
    uninstall: (key, o) => uninstall(r, key, o),
  };
}
