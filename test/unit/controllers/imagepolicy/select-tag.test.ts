import { describe, expect, it } from 'vitest';

import {
  compileGoRegexp,
  compileTagSelector,
  parseGoFloat,
  TagSelectionError,
} from '../../../../main/controllers/imagepolicy/select-tag.ts';

const pick = (...args: Parameters<typeof compileTagSelector>) => (tags: string[]) =>
  compileTagSelector(...args).select(tags).tag;

function failure(fn: () => unknown): TagSelectionError {
  try {
    fn();
  } catch (err) {
    if (err instanceof TagSelectionError) return err;
    throw err;
  }
  throw new Error('expected a TagSelectionError');
}

describe('semver policy', () => {
  const tags = ['1.0.0', 'v1.2.3', '1.2.4-rc.1', '2.0.0', '1.2', 'latest', 'sha-abc', '1.10.0', '01.2.3'];

  it('picks the highest version in the range, skipping non-semver and prerelease tags', () => {
    expect(pick({ semver: { range: '>=1.0.0 <2.0.0' } })(tags)).toBe('1.10.0');
    expect(pick({ semver: { range: '~1.2' } })(tags)).toBe('v1.2.3');
    expect(pick({ semver: { range: '*' } })(tags)).toBe('2.0.0');
  });

  it('matches prereleases only when the constraint carries one (Masterminds)', () => {
    expect(pick({ semver: { range: '>=1.2.4-0 <1.3.0-0' } })(tags)).toBe('1.2.4-rc.1');
    // Every comparator of the AND group must carry a prerelease: `<1.3.0` alone refuses 1.2.4-rc.1.
    expect(pick({ semver: { range: '>=1.2.0-0 <1.3.0' } })(tags)).toBe('v1.2.3');
    expect(pick({ semver: { range: '>=1.2.0 <1.3.0' } })(['1.2.4-rc.1', '1.2.3'])).toBe('1.2.3');
    expect(pick({ semver: { range: '>=1.0.0-0' } })(['1.0.0-alpha', '1.0.0-beta.2', '1.0.0-beta.10'])).toBe(
      '1.0.0-beta.10',
    );
  });

  it('keeps the first of equal versions, as GreaterThan is strict', () => {
    expect(pick({ semver: { range: '>=1.0.0' } })(['v1.0.0', '1.0.0'])).toBe('v1.0.0');
  });

  it('fails with Flux messages when nothing matches or the range is bad', () => {
    const none = failure(() => pick({ semver: { range: '>=3.0.0' } })(tags));
    expect(none.kind).toBe('no-match');
    expect(none.message).toBe('unable to determine latest version from provided list');
    const bad = failure(() => compileTagSelector({ semver: { range: '>=x.y.z.w' } }));
    expect(bad.kind).toBe('invalid');
    expect(bad.message).toMatch(/^invalid policy: improper constraint/);
    expect(failure(() => pick({ semver: { range: '*' } })([])).message).toBe('no tags in database');
  });
});

describe('alphabetical and numerical policies', () => {
  it('alphabetical asc picks the last, desc the first, in byte order', () => {
    const tags = ['RELEASE.2023-01-31', 'RELEASE.2024-02-01', 'RELEASE.2023-12-01', 'a', 'B'];
    expect(pick({ alphabetical: {} })(tags)).toBe('a');
    expect(pick({ alphabetical: { order: 'desc' } })(tags)).toBe('B');
    expect(pick({ alphabetical: { order: 'asc' } }, { pattern: '^RELEASE' })(tags)).toBe('RELEASE.2024-02-01');
  });

  it('numerical compares as numbers and fails on a non-number', () => {
    expect(pick({ numerical: { order: 'asc' } })(['9', '10', '1.5', '-3'])).toBe('10');
    expect(pick({ numerical: { order: 'desc' } })(['9', '10', '1.5', '-3'])).toBe('-3');
    const bad = failure(() => pick({ numerical: {} })(['1', 'latest']));
    expect(bad.message).toBe("failed to parse invalid numeric value 'latest'");
  });

  it('refuses an unknown order', () => {
    const bad = failure(() => compileTagSelector({ numerical: { order: 'up' as 'asc' } }));
    expect(bad.message).toBe("invalid policy: invalid order argument provided: 'UP', must be one of: ASC, DESC");
    expect(failure(() => compileTagSelector({})).kind).toBe('invalid');
  });

  it('parses floats as strconv.ParseFloat', () => {
    expect(parseGoFloat('1e3')).toBe(1000);
    expect(parseGoFloat('.5')).toBe(0.5);
    expect(parseGoFloat('')).toBeUndefined();
    expect(parseGoFloat(' 1')).toBeUndefined();
    expect(parseGoFloat('-Inf')).toBe(-Infinity);
  });
});

describe('filterTags', () => {
  const tags = ['main-abc123-1700000100', 'main-def456-1700000900', 'main-0aa111-1700000200', 'dev-fff-1800000000'];

  it('extracts a named group and reports the original tag', () => {
    const selector = compileTagSelector(
      { numerical: { order: 'asc' } },
      { pattern: '^main-[a-f0-9]+-(?P<ts>[0-9]+)$', extract: '$ts' },
    );
    expect(selector.select(tags)).toEqual({ tag: 'main-def456-1700000900', compared: '1700000900', candidates: 3 });
  });

  it('supports ${name}, numbered groups and $$', () => {
    const selector = compileTagSelector(
      { alphabetical: {} },
      { pattern: '^(?P<branch>[a-z]+)-([a-f0-9]+)-(\\d+)$', extract: '${branch}$$$3' },
    );
    expect(selector.select(tags).compared).toBe('main$1700000900');
  });

  it('feeds semver with an extracted version', () => {
    expect(pick({ semver: { range: '^1.0' } }, { pattern: '^app-(?P<v>.*)$', extract: '$v' })(['app-1.4.0', 'app-2.0.0', '1.9.0'])).toBe(
      'app-1.4.0',
    );
  });

  it('fails when nothing passes the filter', () => {
    const none = failure(() => pick({ alphabetical: {} }, { pattern: '^nothing' })(tags));
    expect(none.kind).toBe('no-match');
    expect(none.message).toBe('version list argument cannot be empty');
  });

  it('refuses a pattern that does not compile, or RE2 refuses', () => {
    const bad = failure(() => compileTagSelector({ alphabetical: {} }, { pattern: '^main-(' }));
    expect(bad.kind).toBe('invalid');
    expect(bad.message).toMatch(/^failed to filter tags: invalid regular expression pattern '\^main-\(': error parsing regexp/);
    expect(failure(() => compileGoRegexp('^(?=a)')).message).toMatch(/unsupported Perl syntax/);
    expect(failure(() => compileGoRegexp('(a)\\1')).message).toMatch(/backreferences/);
  });

  it('refuses an extract naming a group the pattern does not have', () => {
    const bad = failure(() => compileTagSelector({ numerical: {} }, { pattern: '^main-(?P<ts>\\d+)$', extract: '$stamp' }));
    expect(bad.kind).toBe('invalid');
    expect(bad.message).toContain("references group 'stamp'");
    expect(failure(() => compileTagSelector({ numerical: {} }, { pattern: '^(a)$', extract: '$2' })).kind).toBe('invalid');
  });

  it('accepts leading inline flags', () => {
    expect(pick({ alphabetical: {} }, { pattern: '(?i)^MAIN' })(tags)).toBe('main-def456-1700000900');
  });
});
