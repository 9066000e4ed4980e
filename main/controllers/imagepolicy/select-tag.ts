/**
 * ImagePolicy tag selection as image-reflector-controller does it (`internal/policy`): an optional `filterTags`
 * regular expression (Go RE2 syntax) with an `extract` template, then one of semver (Masterminds constraints, tags
 * parsed by `version.ParseVersion`), alphabetical or numerical ordering. Pure: tags in, chosen tag or typed failure out.
 *
 * One deliberate difference: Go expands a template reference to a group the pattern lacks as the empty string, so
 * every tag extracts to "" and the policy later fails with a puzzling message; here such an `extract` is refused up
 * front as an invalid policy naming the missing group.
 */
import type { ImagePolicyChoice, TagFilter } from '../../flux/image.ts';
import { parseTagVersion, SemverRange } from '../../sources/git/semver-range.ts';

/** Why no tag was chosen. `invalid` stalls the object (Flux's InvalidPolicy); `no-match` is retried. */
export class TagSelectionError extends Error {
  readonly kind: 'invalid' | 'no-tags' | 'no-match';
  constructor(kind: 'invalid' | 'no-tags' | 'no-match', message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TagSelectionError';
    this.kind = kind;
  }
}

export interface TagSelection {
  /** The original tag as stored in the repository (not the extracted value). */
  tag: string;
  /** The value the policy compared (the extracted one when `extract` is set). */
  compared: string;
  /** How many tags the filter kept (all tags when there is no filter). */
  candidates: number;
}

/** A compiled policy, validated once so a bad spec is reported before any tag is looked at. */
export interface TagSelector {
  select(tags: readonly string[]): TagSelection;
}

type Latest = (values: readonly string[]) => string;

/** Compiles `spec.policy` and `spec.filterTags`; throws `TagSelectionError('invalid')` for a spec Flux would stall on. */
export function compileTagSelector(policy: ImagePolicyChoice, filter?: TagFilter): TagSelector {
  const latest = policer(policy);
  const regexFilter = filter?.pattern !== undefined || filter?.extract ? compileFilter(filter) : undefined;
  return {
    select(tags) {
      if (tags.length === 0) throw new TagSelectionError('no-tags', 'no tags in database');
      if (!regexFilter) {
        const tag = latest(tags);
        return { tag, compared: tag, candidates: tags.length };
      }
      const byValue = regexFilter(tags);
      const compared = latest([...byValue.keys()]);
      return { tag: byValue.get(compared) ?? compared, compared, candidates: byValue.size };
    },
  };
}

function policer(choice: ImagePolicyChoice): Latest {
  if (choice.semver) return semverPolicy(choice.semver.range);
  if (choice.alphabetical) return alphabeticalPolicy(order(choice.alphabetical.order));
  if (choice.numerical) return numericalPolicy(order(choice.numerical.order));
  throw new TagSelectionError('invalid', 'invalid policy: given ImagePolicyChoice object is invalid');
}

function order(value: string | undefined): 'ASC' | 'DESC' {
  const upper = (value ?? '').toUpperCase();
  if (upper === '' || upper === 'ASC') return 'ASC';
  if (upper === 'DESC') return 'DESC';
  throw new TagSelectionError(
    'invalid',
    `invalid policy: invalid order argument provided: '${upper}', must be one of: ASC, DESC`,
  );
}

const emptyList = (): TagSelectionError => new TagSelectionError('no-match', 'version list argument cannot be empty');

function semverPolicy(range: string): Latest {
  let constraint: SemverRange;
  try {
    constraint = SemverRange.parse(range);
  } catch (err) {
    throw new TagSelectionError('invalid', `invalid policy: ${(err as Error).message}`, { cause: err });
  }
  return (values) => {
    if (values.length === 0) throw emptyList();
    let best: { tag: string; version: NonNullable<ReturnType<typeof parseTagVersion>> } | undefined;
    for (const tag of values) {
      const version = parseTagVersion(tag);
      // Strictly greater, as Masterminds' GreaterThan: the first of equal versions (1.0.0 vs v1.0.0) stays.
      if (version && constraint.test(version) && (!best || version.compare(best.version) > 0)) {
        best = { tag, version };
      }
    }
    if (!best) {
      throw new TagSelectionError('no-match', 'unable to determine latest version from provided list');
    }
    return best.tag;
  };
}

function alphabeticalPolicy(direction: 'ASC' | 'DESC'): Latest {
  return (values) => {
    if (values.length === 0) throw emptyList();
    // Go compares strings bytewise; for the ASCII of tags that is code unit order, not localeCompare.
    let best = values[0] as string;
    for (const v of values) {
      if (direction === 'ASC' ? v > best : v < best) best = v;
    }
    return best;
  };
}

function numericalPolicy(direction: 'ASC' | 'DESC'): Latest {
  return (values) => {
    if (values.length === 0) throw emptyList();
    let best = '';
    let bestValue = 0;
    values.forEach((v, i) => {
      const n = parseGoFloat(v);
      if (n === undefined) {
        throw new TagSelectionError('no-match', `failed to parse invalid numeric value '${v}'`);
      }
      // Equal values: the later one wins, as the Go loop only skips strictly smaller (asc) or larger (desc) ones.
      if (i > 0 && (direction === 'ASC' ? n < bestValue : n > bestValue)) return;
      best = v;
      bestValue = n;
    });
    return best;
  };
}

const GO_FLOAT = /^[+-]?(?:\d+(?:_\d+)*\.?(?:\d+(?:_\d+)*)?|\.\d+(?:_\d+)*)(?:[eE][+-]?\d+)?$/;
const GO_SPECIAL = /^[+-]?(?:inf|infinity|nan)$/i;

/** `strconv.ParseFloat(s, 64)` for decimal input; unlike `Number()`, "" and " 1" are errors. */
export function parseGoFloat(text: string): number | undefined {
  if (GO_SPECIAL.test(text)) {
    const lower = text.toLowerCase();
    if (lower.includes('nan')) return Number.NaN;
    return lower.startsWith('-') ? -Infinity : Infinity;
  }
  if (!GO_FLOAT.test(text) || text.includes('_')) return undefined;
  return Number(text);
}

/** Tag filter: extracted value → original tag (a later tag with the same value replaces the earlier, as Go's map). */
type RegexFilter = (tags: readonly string[]) => Map<string, string>;

function compileFilter(filter: TagFilter): RegexFilter {
  const valueOf = compileTagFilter(filter);
  return (tags) => {
    const out = new Map<string, string>();
    for (const tag of tags) {
      const value = valueOf(tag);
      if (value !== undefined) out.set(value, tag);
    }
    return out;
  };
}

/**
 * `filterTags` for one tag: the value the policy compares (the `extract` result, or the tag itself), or undefined when
 * the pattern does not match. Throws `TagSelectionError('invalid')` as the policy would. The policy panel uses it to
 * show which tags passed.
 */
export function compileTagFilter(filter: TagFilter | undefined): (tag: string) => string | undefined {
  if (filter?.pattern === undefined && !filter?.extract) return (tag) => tag;
  const pattern = filter.pattern ?? '';
  const regex = compileGoRegexp(pattern);
  const template = filter.extract ?? '';
  if (template !== '') checkTemplate(template, regex, pattern);
  return (tag) => {
    const m = regex.exec(tag);
    if (!m) return undefined;
    return template === '' ? tag : expandTemplate(template, m);
  };
}

const invalidPattern = (pattern: string, detail: string): TagSelectionError =>
  new TagSelectionError(
    'invalid',
    `failed to filter tags: invalid regular expression pattern '${pattern}': error parsing regexp: ${detail}`,
  );

/**
 * Go RE2 → JavaScript: `(?P<name>` groups, leading `(?flags)`; constructs RE2 refuses (lookaround, backreferences)
 * are refused here too, so a pattern that works here works in Flux.
 */
export function compileGoRegexp(pattern: string): RegExp {
  let source = pattern.replace(/\(\?P</g, '(?<');
  let flags = '';
  const leading = /^\(\?([imsU]+)\)/.exec(source);
  if (leading) {
    const wanted = leading[1] as string;
    if (wanted.includes('U')) throw invalidPattern(pattern, 'the U flag (ungreedy) is not supported here');
    flags = wanted;
    source = source.slice(leading[0].length);
  }
  if (/\(\?<?[=!]/.test(source)) throw invalidPattern(pattern, 'invalid or unsupported Perl syntax: lookaround');
  if (/(^|[^\\])(\\\\)*\\[1-9]/.test(source)) {
    throw invalidPattern(pattern, 'invalid escape sequence: backreferences are not supported');
  }
  try {
    return new RegExp(source, flags);
  } catch (err) {
    throw invalidPattern(pattern, (err as Error).message.replace(/^Invalid regular expression: /, ''));
  }
}

/** `$name`, `${name}`, `$1`, `$$` of Go's `Regexp.Expand`; a malformed `$` is kept as text. */
const TEMPLATE_REF = /\$(?:\$|\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))/g;

function groupNames(regex: RegExp): { names: Set<string>; count: number } {
  // Count capturing groups by matching the empty alternative: `new RegExp(src + '|')` always matches "".
  const probe = new RegExp(`${regex.source}|`, regex.flags).exec('');
  const count = probe ? probe.length - 1 : 0;
  const names = new Set(Object.keys(probe?.groups ?? {}));
  return { names, count };
}

function checkTemplate(template: string, regex: RegExp, pattern: string): void {
  const { names, count } = groupNames(regex);
  for (const m of template.matchAll(TEMPLATE_REF)) {
    const ref = m[1] ?? m[2];
    if (ref === undefined) continue;
    const known = /^\d+$/.test(ref) ? Number(ref) <= count : names.has(ref);
    if (!known) {
      throw new TagSelectionError(
        'invalid',
        `failed to filter tags: extract '${template}' references group '${ref}' that pattern '${pattern}' does not define`,
      );
    }
  }
}

function expandTemplate(template: string, m: RegExpExecArray): string {
  return template.replace(TEMPLATE_REF, (_whole, braced: string | undefined, bare: string | undefined) => {
    const ref = braced ?? bare;
    if (ref === undefined) return '$';
    const value = /^\d+$/.test(ref) ? m[Number(ref)] : m.groups?.[ref];
    return value ?? '';
  });
}
