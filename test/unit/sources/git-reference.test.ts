import { describe, expect, it } from 'vitest';

import { hasRevision } from '../../../main/sources/artifacts/artifact.ts';
import { authFromSecret } from '../../../main/sources/git/git-auth.ts';
import {
  commitOfRevision,
  pickSemverTag,
  planRef,
  revisionFor,
  shortRef,
} from '../../../main/sources/git/git-reference.ts';
import { parseGitUrl } from '../../../main/sources/git/git-url.ts';
import { parseTagVersion, SemverRange } from '../../../main/sources/git/semver-range.ts';

const sha = 'a'.repeat(40);

describe('Masterminds semver ranges', () => {
  const ok = (range: string, v: string): boolean => SemverRange.parse(range).test(parseTagVersion(v)!);
  it.each([
    ['>=1.0.0, <2.0.0', '1.5.0', true],
    ['>=1.0.0 <2.0.0', '2.0.0', false],
    ['1.2', '1.2.9', true],
    ['1.2', '1.3.0', false],
    ['~1.2.3', '1.2.9', true],
    ['~1.2.3', '1.3.0', false],
    ['^0.2.3', '0.2.9', true],
    ['^0.2.3', '0.3.0', false],
    ['^1.2', '1.9.0', true],
    ['!=1.2.3', '1.2.3', false],
    ['!=1.2.3', '1.2.4', true],
    ['1.x', '1.7.1', true],
    ['>1.2', '1.2.5', false],
    ['>1.2', '1.3.0', true],
    ['1.0.0 - 1.3.0', '1.3.0', true],
    ['<1.0.0 || >=3.0.0', '3.1.0', true],
    ['<1.0.0 || >=3.0.0', '2.0.0', false],
    ['*', '9.9.9', true],
    // a prerelease needs every comparator of its group to carry one
    ['>=1.0.0', '1.5.0-rc.1', false],
    ['>=1.0.0-0', '1.5.0-rc.1', true],
    ['>=1.0.0-0, <2.0.0', '1.5.0-rc.1', false],
    ['~1.2.3-beta', '1.2.5-alpha', true],
  ])('%s with %s is %s', (range, v, want) => {
    expect(ok(range, v)).toBe(want);
  });

  it('parses tags as Flux does: strict semver with an optional v', () => {
    expect(parseTagVersion('v1.2.3')?.version).toBe('1.2.3');
    expect(parseTagVersion('1.2')).toBeUndefined();
    expect(parseTagVersion('release-1.0.0')).toBeUndefined();
    expect(parseTagVersion('01.2.3')).toBeUndefined();
    expect(() => SemverRange.parse('not a range')).toThrow(/improper constraint/);
  });

  it('picks the highest matching tag, ignoring peeled entries and non-semver tags', () => {
    const refs = ['v1.0.0', 'v1.10.0', 'v1.9.0', 'v2.0.0-rc.1', 'latest'].map((t, i) => ({
      ref: `refs/tags/${t}`,
      oid: String(i).repeat(40),
    }));
    expect(pickSemverTag(refs, SemverRange.parse('^1'))?.ref).toBe('refs/tags/v1.10.0');
    expect(pickSemverTag(refs, SemverRange.parse('>=3'))).toBeUndefined();
  });
});

describe('spec.ref and revisions', () => {
  it('follows Flux precedence: commit > name > semver > tag > branch, default master', () => {
    expect(planRef(undefined)).toEqual({ kind: 'branch', fullRef: 'refs/heads/master' });
    expect(planRef({ branch: 'dev', tag: 'v1' })).toEqual({ kind: 'tag', fullRef: 'refs/tags/v1' });
    expect(planRef({ tag: 'v1', semver: '1.x' }).kind).toBe('semver');
    expect(planRef({ semver: '1.x', name: 'refs/pull/1/head' }).kind).toBe('name');
    expect(planRef({ name: 'x', commit: sha, branch: 'main' })).toEqual({
      kind: 'commit',
      commit: sha,
      branchRef: 'refs/heads/main',
    });
    expect(() => planRef({ commit: 'abc123' })).toThrow(/40-character/);
  });

  it('formats revisions as fluxcd/pkg does', () => {
    expect(revisionFor(planRef({ branch: 'main' }), 'refs/heads/main', sha)).toBe(`main@sha1:${sha}`);
    expect(revisionFor(planRef({ branch: 'feature/x' }), 'refs/heads/feature/x', sha)).toBe(`feature/x@sha1:${sha}`);
    expect(revisionFor(planRef({ tag: 'v1.0.0' }), 'refs/tags/v1.0.0', sha)).toBe(`v1.0.0@sha1:${sha}`);
    expect(revisionFor(planRef({ name: 'refs/pull/4/head' }), 'refs/pull/4/head', sha)).toBe(
      `refs/pull/4/head@sha1:${sha}`,
    );
    expect(revisionFor(planRef({ commit: sha }), '', sha)).toBe(`sha1:${sha}`);
    expect(shortRef('refs/heads/a/b')).toBe('a/b');
  });

  it('reads the commit out of current and legacy revisions', () => {
    expect(commitOfRevision(`main@sha1:${sha}`)).toBe(sha);
    expect(commitOfRevision(`main/${sha}`)).toBe(sha);
    expect(commitOfRevision(`sha1:${sha}`)).toBe(sha);
    expect(commitOfRevision('v1.0.0')).toBeUndefined();
    expect(hasRevision({ revision: `main/${sha}` }, `main@sha1:${sha}`)).toBe(true);
    expect(hasRevision({ revision: `main@sha1:${sha}` }, `dev@sha1:${sha}`)).toBe(false);
  });
});

describe('URLs and secrets', () => {
  it('accepts http, https and ssh, and rewrites scp-like URLs in the error', () => {
    expect(parseGitUrl('ssh://git@example.com:2222/org/repo.git')).toMatchObject({
      protocol: 'ssh',
      port: 2222,
      user: 'git',
    });
    expect(parseGitUrl('https://user:pw@example.com/r.git').display).toBe('https://example.com/r.git');
    expect(() => parseGitUrl('git@example.com:org/repo.git')).toThrow('ssh://git@example.com/org/repo.git');
    expect(() => parseGitUrl('ftp://example.com/r')).toThrow(/scheme 'ftp'/);
    // A malformed %-escape names the URL (without its credentials) instead of "URI malformed".
    expect(() => parseGitUrl('https://u:pw@example.com/re%E0%A4%Apo.git')).toThrow(
      "invalid spec.url 'https://example.com/re%E0%A4%Apo.git': its path has a malformed %-escape",
    );
  });

  it('reads Flux secret keys: basic wins over bearer, legacy caFile, no CA over plain http', () => {
    const https = parseGitUrl('https://example.com/r.git');
    const both = authFromSecret(https, { username: 'u', password: 'p', bearerToken: 't', caFile: 'PEM' });
    expect(both).toEqual({
      kind: 'http',
      authorization: `Basic ${Buffer.from('u:p').toString('base64')}`,
      caCert: 'PEM',
    });
    expect(authFromSecret(https, { bearerToken: 't' })).toEqual({ kind: 'http', authorization: 'Bearer t' });
    expect(() => authFromSecret(https, { password: 'p' })).toThrow(/requires 'username'/);
    expect(() => authFromSecret(parseGitUrl('http://example.com/r.git'), { 'ca.crt': 'PEM' })).toThrow(/https/);
  });
});
