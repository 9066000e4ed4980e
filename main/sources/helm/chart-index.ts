/**
 * A Helm repository's index (`index.yaml`) as source-controller reads it, and the choice of a chart version in it.
 * Pure: bytes in, data out, so the controllers and the unit tests share one definition of Flux's rules.
 */
import { createHash } from 'node:crypto';

import semver from 'semver';
import { parse } from 'yaml';

import { parseTagVersion, SemverRange } from '../git/semver-range.ts';

/** One version of a chart in the index (Helm's `repo.ChartVersion`; the fields Fluxdeck reads). */
export interface IndexChartVersion {
  name: string;
  version: string;
  urls: string[];
  digest?: string;
  created?: string;
  appVersion?: string;
  [key: string]: unknown;
}

export interface HelmIndex {
  apiVersion: string;
  entries: Record<string, IndexChartVersion[]>;
  generated?: string;
  [key: string]: unknown;
}

/** Helm's MaxIndexSize: an index larger than this is refused. */
export const MAX_INDEX_BYTES = 50 * 1024 * 1024;

/** Why an index or a chart reference was refused; `code` lets the controller pick Flux's reason. */
export class ChartIndexError extends Error {
  override readonly name = 'ChartIndexError';
  readonly code: 'IndexInvalid' | 'NoChart' | 'NoVersion' | 'BadRange';
  constructor(code: ChartIndexError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

/** Flux's HelmRepository revision: `sha256:<hex>` of the index exactly as downloaded (`ChartRepository.Digest`). */
export function indexRevision(raw: Uint8Array): string {
  return `sha256:${createHash('sha256').update(raw).digest('hex')}`;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Keeps a chart version only when it has a name, a version and at least one URL, as Helm's loader drops the rest. */
function validEntry(v: unknown): v is IndexChartVersion {
  if (!isRecord(v)) return false;
  return typeof v.name === 'string' && typeof v.version === 'string' && Array.isArray(v.urls) && v.urls.length > 0;
}

/**
 * Parses index YAML (or the JSON Flux stores) as Helm's `LoadIndex`: an apiVersion is required, invalid entries are
 * dropped, and each chart's versions are sorted newest first.
 */
export function parseIndex(raw: Uint8Array | string): HelmIndex {
  const text = typeof raw === 'string' ? raw : Buffer.from(raw).toString('utf8');
  let doc: unknown;
  try {
    // The stored artifact is JSON, which JSON.parse reads many times faster than a YAML parser (indexes of public
    // repositories run to tens of megabytes); anything else is YAML, of which JSON is a subset.
    doc = text.trimStart().startsWith('{') ? parseJSONOrYAML(text) : parse(text, { maxAliasCount: 1000 });
  } catch (err) {
    throw new ChartIndexError('IndexInvalid', `the index is not valid YAML: ${(err as Error).message}`);
  }
  if (!isRecord(doc)) throw new ChartIndexError('IndexInvalid', 'the index is empty or not a YAML mapping');
  if (typeof doc.apiVersion !== 'string' || doc.apiVersion === '')
    throw new ChartIndexError('IndexInvalid', 'no API version specified');
  const entries: Record<string, IndexChartVersion[]> = {};
  for (const [name, versions] of Object.entries(isRecord(doc.entries) ? doc.entries : {})) {
    if (!Array.isArray(versions)) continue;
    entries[name] = versions.filter(validEntry).sort(compareNewestFirst);
  }
  return { ...doc, apiVersion: doc.apiVersion, entries };
}

function parseJSONOrYAML(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return parse(text, { maxAliasCount: 1000 }) as unknown;
  }
}

function compareNewestFirst(a: IndexChartVersion, b: IndexChartVersion): number {
  const va = semver.parse(a.version);
  const vb = semver.parse(b.version);
  if (va && vb) return semver.rcompare(va, vb);
  return va ? -1 : vb ? 1 : 0;
}

const createdAt = (v: IndexChartVersion): number => (v.created ? Date.parse(v.created) || 0 : 0);

/**
 * The version of `name` that `range` selects, as source-controller's `ChartRepository.Get`: an exact version string
 * first, then the highest version satisfying the Masterminds range (`*` or empty: the latest stable one); versions
 * equal but for build metadata are ordered by their creation time.
 */
export function selectChartVersion(index: HelmIndex, name: string, range: string | undefined): IndexChartVersion {
  const versions = index.entries[name];
  if (!versions) throw new ChartIndexError('NoChart', `no chart name found: chart '${name}' is not in the index`);
  if (versions.length === 0) throw new ChartIndexError('NoVersion', `no chart version found for ${name}`);
  const wanted = range?.trim() ?? '';
  const exact = wanted === '' ? undefined : versions.find((v) => v.version === wanted);
  if (exact) return exact;
  let constraint: SemverRange;
  try {
    constraint = SemverRange.parse(wanted === '' ? '*' : wanted);
  } catch (err) {
    throw new ChartIndexError('BadRange', `invalid version range '${wanted}': ${(err as Error).message}`);
  }
  let best: { v: semver.SemVer; entry: IndexChartVersion } | undefined;
  for (const entry of versions) {
    const v = parseTagVersion(entry.version);
    if (!v || !constraint.test(v)) continue;
    const order = best ? semver.compare(v, best.v) : 1;
    if (order > 0 || (order === 0 && best && createdAt(entry) > createdAt(best.entry))) best = { v, entry };
  }
  if (!best) throw new ChartIndexError('NoVersion', `no '${name}' chart with version matching '${wanted}' found`);
  return best.entry;
}

/**
 * Where to download a chart version: its first URL, resolved against the repository URL when relative (Helm's
 * `ResolveReferenceURL`, which treats the repository URL as a directory).
 */
export function chartDownloadURL(repoURL: string, entry: IndexChartVersion): string {
  const first = entry.urls[0] ?? '';
  const base = new URL(repoURL.endsWith('/') ? repoURL : `${repoURL}/`);
  return new URL(first, base).href;
}

/**
 * The chart version with SemVer build metadata (Flux's `setBuildMetaData`: Masterminds `SetMetadata` replaces any
 * metadata the version had).
 */
export function withVersionMetadata(version: string, metadata: string): string {
  if (metadata === '') return version;
  const v = semver.parse(version.startsWith('v') ? version.slice(1) : version);
  if (!v) throw new Error(`failed to parse version from chart metadata as SemVer: '${version}'`);
  if (!/^[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*$/.test(metadata))
    throw new Error(`failed to set SemVer metadata on chart version: invalid metadata '${metadata}'`);
  return `${v.version}+${metadata}`;
}
