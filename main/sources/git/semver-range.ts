/**
 * `spec.ref.semver`: Masterminds/semver v3 constraints, the library Flux uses, which differ from npm ranges in ways
 * users notice: `,` means AND, a bare `1.2` means `~1.2`, `!=` exists, and a prerelease version only matches when
 * every comparator of an AND group carries a prerelease itself. Versions are parsed as Flux's `version.ParseVersion`
 * does: strict semver with an optional leading `v` (tags like `1.2` or `release-1` are skipped).
 * Comparison itself (prerelease ordering, build metadata ignored) is the npm `semver` package's.
 */
import semver from 'semver';

interface Comparator {
  op: string;
  con: semver.SemVer;
  orig: string;
  dirty: boolean;
  minorDirty: boolean;
  patchDirty: boolean;
}

const CV = String.raw`v?([0-9xX*]+)(\.[0-9xX*]+)?(\.[0-9xX*]+)?(-([0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*))?(\+([0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*))?`;
const OPS = String.raw`=|!=|>|<|>=|=>|<=|=<|~|~>|\^`;
const OPS_OPT = String.raw`(?:!=|>=|=>|<=|=<|~>|>|<|=|~|\^)?`;
const ONE = new RegExp(String.raw`^\s*(${OPS_OPT})\s*(${CV})\s*$`);
const FIND = new RegExp(String.raw`(${OPS_OPT})\s*(${CV})`, 'g');
const VALID = new RegExp(String.raw`^(\s*(?:${OPS})?\s*(?:${CV})\s*)((?:\s+|,\s*)(?:${OPS})?\s*(?:${CV})\s*)*$`);
const RANGE = new RegExp(String.raw`\s*(${CV})\s+-\s+(${CV})\s*`, 'g');

const isX = (s: string | undefined): boolean => s === 'x' || s === 'X' || s === '*';

export class SemverRange {
  private readonly groups: Comparator[][];
  readonly source: string;

  private constructor(source: string, groups: Comparator[][]) {
    this.source = source;
    this.groups = groups;
  }

  /** Parses a constraint; throws with the offending part when it is not valid. */
  static parse(range: string): SemverRange {
    const rewritten = range.replace(RANGE, (_m, lo: string, ...rest: unknown[]) => `>= ${lo}, <= ${String(rest[9])}`);
    const groups = rewritten.split('||').map((part) => {
      if (part.trim() === '') return [anyComparator()];
      if (!VALID.test(part)) throw new Error(`improper constraint: ${part.trim()}`);
      return [...part.matchAll(FIND)].map((m) => parseComparator(m[0]));
    });
    return new SemverRange(range, groups);
  }

  /** True when the version satisfies some OR group (every comparator of it). */
  test(v: semver.SemVer): boolean {
    return this.groups.some((g) => g.every((c) => check(v, c)));
  }
}

function anyComparator(): Comparator {
  return { op: '', con: new semver.SemVer('0.0.0'), orig: '', dirty: true, minorDirty: false, patchDirty: false };
}

function parseComparator(text: string): Comparator {
  const m = ONE.exec(text);
  if (!m) throw new Error(`improper constraint: ${text}`);
  const op = m[1] ?? '';
  const major = m[3];
  const minor = m[4]?.slice(1);
  const patch = m[5]?.slice(1);
  const pre = m[6] ?? '';
  let ver: string;
  let dirty = false;
  let minorDirty = false;
  let patchDirty = false;
  if (isX(major) || major === undefined) {
    ver = `0.0.0${pre}`;
    dirty = true;
  } else if (isX(minor) || minor === undefined) {
    ver = `${major}.0.0${pre}`;
    dirty = minorDirty = true;
  } else if (isX(patch) || patch === undefined) {
    ver = `${major}.${minor}.0${pre}`;
    dirty = patchDirty = true;
  } else {
    ver = (m[2] ?? '').replace(/^v/, '');
  }
  const con = semver.parse(ver, { loose: true });
  if (!con) throw new Error(`improper constraint: ${text.trim()}`);
  return { op, con, orig: m[2] ?? '', dirty, minorDirty, patchDirty };
}

const cmp = (a: semver.SemVer, b: semver.SemVer): number => semver.compare(a, b);

function check(v: semver.SemVer, c: Comparator): boolean {
  const preV = v.prerelease.length > 0;
  const preC = c.con.prerelease.length > 0;
  if (c.op === '!=') return notEqual(v, c);
  // A prerelease only matches comparators that ask for prereleases (Masterminds issue 21).
  if (preV && !preC) return false;
  switch (c.op) {
    case '':
    case '=':
      return c.dirty ? tilde(v, c) : cmp(v, c.con) === 0;
    case '>':
      return greaterThan(v, c);
    case '<':
      return cmp(v, c.con) < 0;
    case '>=':
    case '=>':
      return cmp(v, c.con) >= 0;
    case '<=':
    case '=<':
      return lessThanEqual(v, c);
    case '~':
    case '~>':
      return tilde(v, c);
    case '^':
      return caret(v, c);
    default:
      return false;
  }
}

function notEqual(v: semver.SemVer, c: Comparator): boolean {
  if (c.dirty) {
    if (v.prerelease.length > 0 && c.con.prerelease.length === 0) return false;
    if (c.con.major !== v.major) return true;
    if (c.con.minor !== v.minor && !c.minorDirty) return true;
    if (c.minorDirty) return false;
    if (c.con.patch !== v.patch && !c.patchDirty) return true;
    if (c.patchDirty) {
      return v.prerelease.join('.') !== c.con.prerelease.join('.');
    }
  }
  return cmp(v, c.con) !== 0;
}

function greaterThan(v: semver.SemVer, c: Comparator): boolean {
  if (!c.dirty) return cmp(v, c.con) > 0;
  if (v.major > c.con.major) return true;
  if (v.major < c.con.major) return false;
  if (c.minorDirty) return false;
  if (c.patchDirty) return v.minor > c.con.minor;
  return cmp(v, c.con) > 0;
}

function lessThanEqual(v: semver.SemVer, c: Comparator): boolean {
  if (!c.dirty) return cmp(v, c.con) <= 0;
  if (v.major > c.con.major) return false;
  return !(v.major === c.con.major && v.minor > c.con.minor && !c.minorDirty);
}

function tilde(v: semver.SemVer, c: Comparator): boolean {
  if (cmp(v, c.con) < 0) return false;
  if (c.con.major === 0 && c.con.minor === 0 && c.con.patch === 0 && !c.minorDirty && !c.patchDirty) return true;
  if (v.major !== c.con.major) return false;
  return !(v.minor !== c.con.minor && !c.minorDirty);
}

function caret(v: semver.SemVer, c: Comparator): boolean {
  if (cmp(v, c.con) < 0) return false;
  if (c.con.major > 0 || c.minorDirty) return v.major === c.con.major;
  if (c.con.major === 0 && v.major > 0) return false;
  if (c.con.minor > 0 || c.patchDirty) return v.minor === c.con.minor;
  if (c.con.minor === 0 && v.minor > 0) return false;
  return c.con.patch === v.patch;
}

/** Flux's `version.ParseVersion`: strict semver, optionally prefixed by `v`; undefined for anything else. */
export function parseTagVersion(tag: string): semver.SemVer | undefined {
  const body = tag.startsWith('v') ? tag.slice(1) : tag;
  if (
    !/^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/.test(
      body,
    )
  ) {
    return undefined;
  }
  const v = semver.parse(body);
  return v ?? undefined;
}
