/**
 * The pure parts of the HelmRelease panel: history rows from helm-controller's `status.history` and Helm's own
 * records, the merged values with the origin of each top-level key (Secret-fed keys masked), the last test results,
 * and release manifests with Secret values masked for the rollback preview. helm-releases.ts feeds them from the
 * cluster and the Helm helper.
 */
import { parseAllDocuments, stringify } from 'yaml';

import type { HelmHistoryRow, HelmReleaseView, ValuesEntry, ValuesOrigin, ValuesProblem } from '../contract/index.ts';
import { mergeMaps, parseSetPath, replacePathValue, type ValuesSource } from '../controllers/helmrelease/values.ts';
import type { HelmReleaseSpec, HelmSnapshot } from '../flux/helm.ts';
import type { ValuesReference } from '../flux/meta.ts';
import type { HookInfo, ReleaseInfo } from '../helm/index.ts';
import { redactSecret } from '../kube/secret-redaction.ts';
import type { KubeObject } from '../util/kube-object.ts';

type Values = Record<string, unknown>;

const isMap = (v: unknown): v is Values => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * One row per revision, newest first: Helm's records (every revision it keeps) joined with the snapshots
 * helm-controller wrote, which carry the config digest and survive when the helper cannot be reached.
 */
export function historyRows(
  snapshots: readonly HelmSnapshot[] | undefined,
  releases: readonly ReleaseInfo[] | undefined,
  configDigest: (rel: ReleaseInfo) => string,
): HelmHistoryRow[] {
  const rows = new Map<number, HelmHistoryRow>();
  for (const r of releases ?? []) {
    const deployed = r.lastDeployed ?? r.firstDeployed;
    rows.set(r.version, {
      revision: r.version,
      chart: `${r.chart.name}@${r.chart.version}`,
      ...(r.chart.appVersion && { appVersion: r.chart.appVersion }),
      status: r.status,
      configDigest: configDigest(r),
      ...(deployed && { deployed }),
      ...(r.description && { description: r.description }),
      current: false,
      inStatus: false,
      inHelm: true,
    });
  }
  const release = releases?.[0]?.name ?? snapshots?.[0]?.name;
  for (const s of snapshots ?? []) {
    // status.history may still hold a release the spec renamed; the panel shows the release Helm has now.
    if (s.name !== release) continue;
    const known = rows.get(s.version);
    rows.set(
      s.version,
      known
        ? { ...known, inStatus: true }
        : {
            revision: s.version,
            chart: `${s.chartName}@${s.chartVersion}`,
            ...(s.appVersion && { appVersion: s.appVersion }),
            status: s.status,
            configDigest: s.configDigest,
            deployed: s.lastDeployed,
            current: false,
            inStatus: true,
            inHelm: false,
          },
    );
  }
  const out = [...rows.values()].sort((a, b) => b.revision - a.revision);
  const head = out[0];
  if (head) head.current = true;
  return out;
}

type Read = { ok: true; text: string } | { ok: false; message?: string };

/** The text a valuesFrom reference points at, or why not (no message: an optional reference that is missing). */
function readReference(ref: ValuesReference, valuesKey: string, source: ValuesSource): Read {
  const data = source(ref.kind, ref.name);
  const text = data?.[valuesKey];
  if (text !== undefined) return { ok: true, text };
  if (ref.optional) return { ok: false };
  return {
    ok: false,
    message: data === undefined ? `${ref.kind} ${ref.name} not found` : `key '${valuesKey}' not found`,
  };
}

/** Merges one reference's text into `merged` (Flux's rules); returns the merged values and the top-level keys it set. */
function mergeReference(
  merged: Values,
  ref: ValuesReference,
  text: string,
  parseYaml: (text: string) => unknown,
): { merged: Values; keys: string[] } {
  if (ref.targetPath) {
    const first = parseSetPath(ref.targetPath)[0];
    return {
      merged: replacePathValue(merged, ref.targetPath, text),
      keys: first && 'key' in first ? [first.key] : [],
    };
  }
  const parsed = parseYaml(text) ?? {};
  if (!isMap(parsed)) throw new Error('not a YAML map');
  return { merged: mergeMaps(merged, parsed), keys: Object.keys(parsed) };
}

/**
 * The merged values in Flux's order (each valuesFrom reference, then spec.values) and where each top-level key came
 * from. References that cannot be read are listed as problems rather than failing the whole view.
 */
export function valuesProvenance(
  spec: Pick<HelmReleaseSpec, 'values' | 'valuesFrom'>,
  source: ValuesSource,
  parseYaml: (text: string) => unknown,
): { entries: ValuesEntry[]; problems: ValuesProblem[] } {
  let merged: Values = {};
  const origins = new Map<string, ValuesOrigin[]>();
  const problems: ValuesProblem[] = [];
  const note = (keys: string[], origin: ValuesOrigin): void => {
    for (const key of keys) origins.set(key, [...(origins.get(key) ?? []), origin]);
  };
  for (const ref of spec.valuesFrom ?? []) {
    // The CRD allows only these two; an object written around it is skipped as helm-controller refuses it.
    if (!(['ConfigMap', 'Secret'] as string[]).includes(ref.kind)) continue;
    const valuesKey = ref.valuesKey || 'values.yaml';
    const origin: ValuesOrigin = {
      type: ref.kind,
      name: ref.name,
      valuesKey,
      ...(ref.targetPath && { targetPath: ref.targetPath }),
      optional: ref.optional === true,
    };
    const read = readReference(ref, valuesKey, source);
    if (!read.ok) {
      if (read.message) problems.push({ origin, message: read.message });
      continue;
    }
    try {
      const step = mergeReference(merged, ref, read.text, parseYaml);
      merged = step.merged;
      note(step.keys, origin);
    } catch (err) {
      // The message of a parse error may quote the text, which for a Secret is a secret.
      const why = ref.kind === 'Secret' ? 'it is not a YAML map of values' : (err as Error).message;
      problems.push({ origin, message: `could not read the values: ${why}` });
    }
  }
  merged = mergeMaps(merged, spec.values ?? {});
  note(Object.keys(spec.values ?? {}), { type: 'values' });
  const entries = [...origins.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, from]): ValuesEntry => {
      // A map from a Secret deep-merged with other sources still holds the Secret's parts: mask it whole.
      const masked = from.some((o) => o.type === 'Secret');
      return {
        key,
        origins: from,
        masked,
        ...(!masked && { yaml: stringify(merged[key] ?? null, { lineWidth: 0 }).trimEnd() }),
      };
    });
  return { entries, problems };
}

const isTestHook = (h: HookInfo): boolean => h.events.includes('test') || h.events.includes('test-success');

/**
 * The last test results: the test hooks' last runs in Helm's record of the current revision (they include runs
 * started outside helm-controller), else helm-controller's snapshot (`status.history[0].testHooks`).
 */
export function testResults(
  head: HelmSnapshot | undefined,
  current: ReleaseInfo | undefined,
): HelmReleaseView['tests'] {
  const hooks = current?.hooks.filter(isTestHook) ?? [];
  if (current && hooks.some((h) => h.lastRun?.startedAt)) {
    return {
      revision: current.version,
      from: 'helm',
      results: hooks.map((h) => ({
        name: h.name,
        ...(h.lastRun?.phase && { phase: h.lastRun.phase }),
        ...(h.lastRun?.startedAt && { started: h.lastRun.startedAt }),
        ...(h.lastRun?.completedAt && { completed: h.lastRun.completedAt }),
      })),
    };
  }
  if (head?.testHooks) {
    return {
      revision: head.version,
      from: 'status',
      results: Object.entries(head.testHooks).map(([name, t]) => ({
        name,
        ...(t.phase && { phase: t.phase }),
        ...(t.lastStarted && { started: t.lastStarted }),
        ...(t.lastCompleted && { completed: t.lastCompleted }),
      })),
    };
  }
  return { from: 'none', results: [] };
}

/** True when every test hook of the release ran and succeeded (a release without tests passes). */
export function testsPassed(rel: ReleaseInfo): { passed: boolean; failed: string[]; count: number } {
  const tests = rel.hooks.filter(isTestHook);
  const failed = tests.filter((h) => h.lastRun?.phase !== 'Succeeded').map((h) => h.name);
  return { passed: failed.length === 0, failed, count: tests.length };
}

/**
 * A release manifest as the rollback preview shows it: each document as Helm stored it, Secrets' values replaced
 * (a chart's Secrets hold real credentials), documents sorted by kind, namespace and name so the two sides line up.
 */
export function maskedManifest(manifest: string): string {
  const docs = parseAllDocuments(manifest)
    .map((d) => d.toJS() as unknown)
    .filter((o): o is KubeObject => isMap(o) && typeof o.kind === 'string' && isMap(o.metadata));
  const id = (o: KubeObject): string => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
  return docs
    .map((o) => redactSecret(o))
    .sort((a, b) => id(a).localeCompare(id(b)))
    .map((o) => `---\n# ${id(o)}\n${stringify(o, { lineWidth: 0 })}`)
    .join('');
}
