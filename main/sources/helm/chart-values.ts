/**
 * HelmChart `spec.valuesFiles` as source-controller applies them: the listed files are merged in order (later wins,
 * maps merged key by key, anything else replaced, fluxcd/pkg `transform.MergeMaps`) and the result replaces the
 * packaged chart's values.yaml. And the SemVer build metadata a HelmChart's artifact version carries. Pure.
 */
import { parse } from 'yaml';

type Values = Record<string, unknown>;

const isMap = (v: unknown): v is Values => typeof v === 'object' && v !== null && !Array.isArray(v);

/** fluxcd/pkg `transform.MergeMaps`: `b` over `a`, recursing where both sides hold a map. */
export function mergeMaps(a: Values, b: Values): Values {
  const out: Values = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const cur = out[k];
    out[k] = isMap(v) && isMap(cur) ? mergeMaps(cur, v) : v;
  }
  return out;
}

/** A values file that is not there (or not readable as a map), named as the user wrote it. */
export class ValuesFileError extends Error {
  override readonly name = 'ValuesFileError';
}

export interface MergedValues {
  values: Values;
  /** The files that were merged (missing ones skipped with ignoreMissingValuesFiles are not listed). */
  used: string[];
}

/**
 * Merges `paths` read through `read` (undefined for a missing file). A missing file fails unless `ignoreMissing`;
 * a file that is not a YAML mapping fails always, naming the file.
 */
export function mergeValuesFiles(
  paths: readonly string[],
  read: (path: string) => Uint8Array | undefined,
  ignoreMissing: boolean,
): MergedValues {
  let values: Values = {};
  const used: string[] = [];
  for (const p of paths) {
    const data = read(p);
    if (data === undefined) {
      if (ignoreMissing) continue;
      throw new ValuesFileError(`no values file found at path '${p}'`);
    }
    let doc: unknown;
    try {
      doc = parse(Buffer.from(data).toString('utf8'));
    } catch (err) {
      throw new ValuesFileError(`unmarshaling values from '${p}' failed: ${(err as Error).message}`, { cause: err });
    }
    if (doc !== null && doc !== undefined && !isMap(doc))
      throw new ValuesFileError(`unmarshaling values from '${p}' failed: not a YAML mapping`);
    values = mergeMaps(values, doc ?? {});
    used.push(p);
  }
  return { values, used };
}

export interface MetadataInputs {
  strategy: 'ChartVersion' | 'Revision' | undefined;
  sourceKind: 'HelmRepository' | 'GitRepository' | 'Bucket';
  /** The source artifact's revision (Git/Bucket). */
  sourceRevision?: string;
  generation: number;
  hasValuesFiles: boolean;
}

/** The hex of a Git revision (`main@sha1:<hex>`, `sha1:<hex>`, legacy `main/<hex>`) or of a `sha256:<hex>` digest. */
function revisionHex(revision: string): string {
  const at = /(?:^|@)(?:sha1|sha256):([0-9a-f]+)$/.exec(revision)?.[1];
  if (at) return at;
  return /\/([0-9a-f]{40})$/.exec(revision)?.[1] ?? revision;
}

/**
 * The build metadata source-controller appends to the chart version: for `reconcileStrategy: Revision` with a Git or
 * Bucket source the first 12 hex characters of the source revision (label values are limited to 63 characters), and
 * with values files the object's generation (`.`-joined), so a consumer sees a new version when either changed.
 */
export function versionMetadata(i: MetadataInputs): string {
  const parts: string[] = [];
  if (i.strategy === 'Revision' && i.sourceKind !== 'HelmRepository' && i.sourceRevision)
    parts.push(revisionHex(i.sourceRevision).slice(0, 12));
  if (i.hasValuesFiles) parts.push(String(i.generation));
  return parts.join('.');
}
