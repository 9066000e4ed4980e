/**
 * Go's `path/filepath.Match` on one path element, ported so ignore rules behave exactly as in source-controller:
 * `*` and `?` never match '/', character classes use `^` for negation (`[!a]` is a class of '!' and 'a'), `\` escapes,
 * and a malformed pattern (an unclosed or empty class, a trailing backslash) matches nothing.
 */

/** Compiled matchers, keyed by pattern: the same few patterns are tried against every file of a repository. */
const compiled = new Map<string, RegExp | null>();

export function goPathMatch(pattern: string, name: string): boolean {
  let re = compiled.get(pattern);
  if (re === undefined) {
    re = compile(pattern);
    compiled.set(pattern, re);
  }
  return re !== null && re.test(name);
}

function escapeChar(c: string): string {
  return /[\\^$.*+?()[\]{}|]/.test(c) ? `\\${c}` : c;
}

function escapeClassChar(c: string): string {
  return /[\\\]^[-]/.test(c) ? `\\${c}` : c;
}

/** Translates a Go pattern into an anchored RegExp, or null when Go would report ErrBadPattern. */
function compile(pattern: string): RegExp | null {
  let out = '';
  let i = 0;
  while (i < pattern.length) {
    const c = pattern.charAt(i);
    if (c === '*') {
      out += '[^/]*';
      i++;
    } else if (c === '?') {
      out += '[^/]';
      i++;
    } else if (c === '\\') {
      if (i + 1 >= pattern.length) return null;
      out += escapeChar(pattern.charAt(i + 1));
      i += 2;
    } else if (c === '[') {
      const cls = compileClass(pattern, i + 1);
      if (cls === null) return null;
      out += cls.source;
      i = cls.end;
    } else {
      out += escapeChar(c);
      i++;
    }
  }
  return new RegExp(`^${out}$`, 'su');
}

/** One `[...]` class starting after '['; returns its RegExp source and the index after ']'. */
function compileClass(p: string, start: number): { source: string; end: number } | null {
  let i = start;
  let negate = false;
  if (p[i] === '^') {
    negate = true;
    i++;
  }
  const ranges: string[] = [];
  let first = true;
  for (;;) {
    if (i >= p.length) return null;
    if (p[i] === ']' && !first) break;
    first = false;
    const lo = classChar(p, i);
    if (lo === null) return null;
    i = lo.next;
    let item = escapeClassChar(lo.ch);
    if (p[i] === '-') {
      const hi = classChar(p, i + 1);
      if (hi === null) return null;
      if (hi.ch < lo.ch) return null;
      item += `-${escapeClassChar(hi.ch)}`;
      i = hi.next;
    }
    ranges.push(item);
  }
  // Go matches a class against exactly one character that is not the separator.
  const body = ranges.join('');
  return { source: negate ? `(?![/])[^${body}]` : `[${body}]`, end: i + 1 };
}

function classChar(p: string, i: number): { ch: string; next: number } | null {
  const c = p[i];
  if (c === undefined || c === '-' || c === ']') return null;
  if (c === '\\') {
    const n = p[i + 1];
    return n === undefined ? null : { ch: n, next: i + 2 };
  }
  const cp = p.codePointAt(i) ?? 0;
  const ch = String.fromCodePoint(cp);
  return { ch, next: i + ch.length };
}
