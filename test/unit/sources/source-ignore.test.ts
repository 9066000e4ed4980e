import { describe, expect, it } from 'vitest';

import { goPathMatch } from '../../../main/sources/artifacts/go-path-match.ts';
import { parsePattern, readPatterns } from '../../../main/sources/artifacts/ignore-pattern.ts';
import {
  type IgnoreTree,
  loadIgnorePatterns,
  sourceIgnoreMatcher,
} from '../../../main/sources/artifacts/source-ignore.ts';

const split = (p: string): string[] => p.split('/');

describe("Go's filepath.Match", () => {
  it.each([
    ['*.yaml', 'a.yaml', true],
    ['*.yaml', '.yaml', true],
    ['a?c', 'abc', true],
    ['a?c', 'ac', false],
    ['[^a]bc', 'xbc', true],
    ['[^a]bc', 'abc', false],
    ['[!a]bc', '!bc', true],
    ['[a-c]x', 'bx', true],
    ['[a-c]x', 'dx', false],
    ['\\*', '*', true],
    ['\\*', 'a', false],
    ['[', '[', false],
    ['[]a]', 'a', false],
    ['a\\', 'a', false],
    ['codeship-steps.yml', 'codeship-steps.yml', true],
  ])('%s against %s is %s', (pattern, name, want) => {
    expect(goPathMatch(pattern, name)).toBe(want);
  });
});

describe('go-git gitignore patterns', () => {
  it('matches a name without a slash at any depth, parents included', () => {
    const p = parsePattern('*.yaml');
    expect(p.match(split('a/b/c.yaml'), false)).toBe('exclude');
    expect(p.match(split('x.yaml/inner.txt'), false)).toBe('exclude');
    expect(p.match(split('a/b/c.yml'), false)).toBe('none');
  });

  it('anchors patterns with a slash and treats ** as any number of directories', () => {
    expect(parsePattern('/deploy').match(split('deploy/x'), false)).toBe('exclude');
    expect(parsePattern('/deploy').match(split('apps/deploy/x'), false)).toBe('none');
    expect(parsePattern('**/.sops.yaml').match(split('a/b/.sops.yaml'), false)).toBe('exclude');
    expect(parsePattern('**/.sops.yaml').match(split('.sops.yaml'), false)).toBe('exclude');
    expect(parsePattern('a/**/z.txt').match(split('a/b/c/z.txt'), false)).toBe('exclude');
    expect(parsePattern('docs/').match(split('docs'), false)).toBe('none');
    expect(parsePattern('docs/').match(split('docs'), true)).toBe('exclude');
    expect(parsePattern('docs/').match(split('docs/readme.md'), false)).toBe('exclude');
  });

  it('scopes patterns to the directory of their .sourceignore', () => {
    const p = parsePattern('*.md', ['apps']);
    expect(p.match(split('apps/readme.md'), false)).toBe('exclude');
    expect(p.match(split('readme.md'), false)).toBe('none');
  });

  it('reads pattern files like fluxcd/pkg: comments and blank lines skipped, CRLF tolerated, trailing spaces trimmed', () => {
    const ps = readPatterns('# comment\r\n\r\n   \n*.txt  \r\n!keep.txt\n');
    expect(ps).toHaveLength(2);
    expect(ps[0]!.match(['a.txt'], false)).toBe('exclude');
    expect(ps[1]!.match(['keep.txt'], false)).toBe('include');
  });
});

function tree(files: Record<string, string>): IgnoreTree {
  return {
    entries(dir) {
      const prefix = dir ? `${dir}/` : '';
      const names = new Map<string, boolean>();
      for (const f of Object.keys(files)) {
        if (!f.startsWith(prefix)) continue;
        const rest = f.slice(prefix.length).split('/');
        names.set(rest[0]!, rest.length > 1 || names.get(rest[0]!) === true);
      }
      return [...names].map(([name, isDir]) => ({ name, isDir }));
    },
    readText: (path) => files[path],
  };
}

describe('Flux source ignore rules', () => {
  it('applies the default exclusions only while there is no user pattern at all', () => {
    const none = sourceIgnoreMatcher([]);
    expect(none.ignores(split('logo.png'), false)).toBe(true);
    expect(none.ignores(split('.github/workflows/ci.yaml'), false)).toBe(true);
    expect(none.ignores(split('a/b/.sops.yaml'), false)).toBe(true);
    expect(none.ignores(split('.git/config'), false)).toBe(true);
    expect(none.ignores(split('app.yaml'), false)).toBe(false);

    const some = sourceIgnoreMatcher([], 'unrelated.txt\n');
    expect(some.ignores(split('logo.png'), false)).toBe(false);
    expect(some.ignores(split('a/b/.sops.yaml'), false)).toBe(false);
    expect(some.ignores(split('.gitignore'), false)).toBe(true);
    expect(some.ignores(split('unrelated.txt'), false)).toBe(true);
  });

  it('loads .sourceignore files recursively, root first, and lets spec.ignore win', () => {
    const files = {
      '.sourceignore': '*.txt\n',
      'b/.sourceignore': '!keep.txt\n',
      'a/.sourceignore': 'secret.yaml\n',
      'a/secret.yaml': '',
      'b/keep.txt': '',
      'b/drop.txt': '',
      '.git/x/.sourceignore': 'everything\n',
    };
    const patterns = loadIgnorePatterns(tree(files));
    expect(patterns.map((p) => p.domain.join('/'))).toEqual(['', 'a', 'b']);
    const m = sourceIgnoreMatcher(patterns);
    expect(m.ignores(split('a/secret.yaml'), false)).toBe(true);
    expect(m.ignores(split('secret.yaml'), false)).toBe(false);
    expect(m.ignores(split('b/keep.txt'), false)).toBe(false);
    expect(m.ignores(split('b/drop.txt'), false)).toBe(true);
    expect(sourceIgnoreMatcher(patterns, 'keep.txt\n').ignores(split('b/keep.txt'), false)).toBe(true);
  });
});
