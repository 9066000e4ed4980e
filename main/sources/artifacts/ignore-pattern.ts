/**
 * gitignore patterns as source-controller evaluates them (go-git's `plumbing/format/gitignore`, vendored in
 * `fluxcd/pkg/sourceignore/gitignore`). This is not git's own algorithm, and the differences are observable, so they
 * are kept on purpose:
 * - a pattern without '/' matches ANY element of the path (a parent directory included), so `*.yaml` also excludes
 *   everything under a directory named `x.yaml`;
 * - `!pattern` can re-include a file inside an excluded directory (files are matched one by one);
 * - the last matching pattern wins; patterns from a `.sourceignore` in `a/b/` only apply below `a/b/` (their domain).
 */
import { goPathMatch } from './go-path-match.ts';

export type MatchResult = 'none' | 'exclude' | 'include';

export interface IgnorePattern {
  readonly domain: readonly string[];
  match(path: readonly string[], isDir: boolean): MatchResult;
}

/** Parses one pattern line (already known not to be blank or a comment). */
export function parsePattern(line: string, domain: readonly string[] = []): IgnorePattern {
  let p = line;
  let inclusion = false;
  if (p.startsWith('!')) {
    inclusion = true;
    p = p.slice(1);
  }
  if (!p.endsWith('\\ ')) p = p.replace(/ +$/, '');
  let dirOnly = false;
  if (p.endsWith('/')) {
    dirOnly = true;
    p = p.slice(0, -1);
  }
  const isGlob = p.includes('/');
  const parts = p.split('/');
  const dom = [...domain];
  const result: MatchResult = inclusion ? 'include' : 'exclude';
  return {
    domain: dom,
    match(path, isDir) {
      if (path.length <= dom.length) return 'none';
      for (let i = 0; i < dom.length; i++) if (path[i] !== dom[i]) return 'none';
      const rel = dom.length === 0 ? path : path.slice(dom.length);
      const ok = isGlob ? globMatch(parts, rel, dirOnly, isDir) : simpleNameMatch(parts[0] ?? '', rel, dirOnly, isDir);
      return ok ? result : 'none';
    },
  };
}

function simpleNameMatch(pattern: string, path: readonly string[], dirOnly: boolean, isDir: boolean): boolean {
  for (let i = 0; i < path.length; i++) {
    if (!goPathMatch(pattern, path[i] ?? '')) continue;
    return !(dirOnly && !isDir && i === path.length - 1);
  }
  return false;
}

function globMatch(parts: readonly string[], input: readonly string[], dirOnly: boolean, isDir: boolean): boolean {
  let path = input;
  let matched = false;
  let canTraverse = false;
  for (let i = 0; i < parts.length; i++) {
    const pattern = parts[i] ?? '';
    if (pattern === '') {
      canTraverse = false;
      continue;
    }
    if (pattern === '**') {
      if (i === parts.length - 1) break;
      canTraverse = true;
      continue;
    }
    if (pattern.includes('**')) return false;
    if (path.length === 0) return false;
    if (canTraverse) {
      canTraverse = false;
      while (path.length > 0) {
        const e = path[0] ?? '';
        path = path.slice(1);
        if (goPathMatch(pattern, e)) {
          matched = true;
          break;
        } else if (path.length === 0) {
          matched = false;
        }
      }
    } else {
      if (!goPathMatch(pattern, path[0] ?? '')) return false;
      matched = true;
      path = path.slice(1);
    }
  }
  if (matched && dirOnly && !isDir && path.length === 0) matched = false;
  return matched;
}

/** Patterns in increasing priority; the last one that matches decides. */
export class IgnoreMatcher {
  readonly patterns: readonly IgnorePattern[];

  constructor(patterns: readonly IgnorePattern[]) {
    this.patterns = patterns;
  }

  /** True when the path (split on '/') is excluded. */
  ignores(path: readonly string[], isDir: boolean): boolean {
    for (let i = this.patterns.length - 1; i >= 0; i--) {
      const m = (this.patterns[i] as IgnorePattern).match(path, isDir);
      if (m !== 'none') return m === 'exclude';
    }
    return false;
  }
}

/**
 * Pattern lines of a `.sourceignore` file or of `spec.ignore`, as fluxcd/pkg's ReadPatterns reads them: one per line
 * (a trailing '\r' dropped), skipping lines that start with '#' and lines that are blank once trimmed.
 */
export function readPatterns(text: string, domain: readonly string[] = []): IgnorePattern[] {
  const out: IgnorePattern[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.startsWith('#') || line.trim() === '') continue;
    out.push(parsePattern(line, domain));
  }
  return out;
}
