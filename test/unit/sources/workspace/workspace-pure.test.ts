import { describe, expect, it } from 'vitest';

import { parseGitUrl } from '../../../../main/sources/git/git-url.ts';
import { identityFromConfig, identityFromConfigList } from '../../../../main/sources/workspace/git-identity.ts';
import { workTreeSegments } from '../../../../main/sources/workspace/work-tree-path.ts';
import { workspaceDirName } from '../../../../main/sources/workspace/workspace-name.ts';
import { checkYaml, formatProblem, isYamlPath } from '../../../../main/sources/workspace/yaml-check.ts';

describe('work tree paths', () => {
  it('accepts relative paths and names them by segment', () => {
    expect(workTreeSegments('apps/deploy.yaml')).toEqual(['apps', 'deploy.yaml']);
    expect(workTreeSegments('./apps//web\\deploy.yaml')).toEqual(['apps', 'web', 'deploy.yaml']);
    expect(workTreeSegments('.gitignore')).toEqual(['.gitignore']);
    expect(workTreeSegments('apps/.github/x.yaml')).toEqual(['apps', '.github', 'x.yaml']);
  });

  it.each([
    ['', /empty/],
    ['.', /work tree itself/],
    ['/etc/passwd', /relative/],
    ['C:\\Windows\\win.ini', /relative/],
    ['\\\\server\\share', /relative/],
    ['../x', /'\.\.'/],
    ['apps/../../x', /'\.\.'/],
    ['apps\\..\\..\\x', /'\.\.'/],
    ['.git/config', /\.git/],
    ['sub/.Git/HEAD', /\.git/],
    ['a\0b', /NUL/],
  ])('refuses %j', (path, why) => {
    expect(() => workTreeSegments(path)).toThrow(why);
  });
});

describe('YAML check', () => {
  it('reports syntax errors and duplicate keys with line and column', () => {
    const problems = checkYaml('apps/deploy.yaml', 'a: 1\nb: [1, 2\nc: 3\n');
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]).toMatchObject({
      path: 'apps/deploy.yaml',
      line: expect.any(Number),
      column: expect.any(Number),
    });
    const dup = checkYaml('x.yaml', 'metadata:\n  name: a\n  name: b\n');
    expect(dup).toEqual([{ path: 'x.yaml', line: 3, column: 3, message: expect.stringMatching(/unique/i) }]);
    expect(formatProblem(dup[0]!)).toMatch(/^x\.yaml:3:3: /);
  });

  it('accepts valid multi-document YAML', () => {
    expect(checkYaml('x.yaml', 'a: 1\n---\nb: [1, 2]\n---\n# only a comment\n')).toEqual([]);
  });

  it('checks .yaml and .yml files only', () => {
    expect(['a.yaml', 'b.YML', 'c.json', 'yaml'].map(isYamlPath)).toEqual([true, true, false, false]);
  });
});

describe('git config identity', () => {
  it('reads [user] name and email, ignoring comments, quotes and other sections', () => {
    const text = [
      '# global config',
      '[core]',
      '  name = not-me',
      '[user]',
      '  name = "Ada Lovelace"  ; the first programmer',
      '\temail = ada@example.test',
      '[user "work"]',
      '  email = other@example.test',
      '[alias]',
      '  email = nope',
    ].join('\n');
    expect(identityFromConfig(text)).toEqual({ name: 'Ada Lovelace', email: 'ada@example.test' });
    expect(identityFromConfig('[User]\nName = A\n')).toEqual({ name: 'A' });
    expect(identityFromConfig('')).toEqual({});
  });

  it('reads `git config --get-regexp` output, the last value of a key winning', () => {
    const list = 'user.name Ada\nuser.email ada@example.test\nuser.name Ada Lovelace\r\nuser.email \n';
    expect(identityFromConfigList(list)).toEqual({ name: 'Ada Lovelace', email: 'ada@example.test' });
    expect(identityFromConfigList('user.signingkey ABC\n')).toEqual({});
    expect(identityFromConfigList('')).toEqual({});
  });
});

describe('work tree folder names', () => {
  it('are readable, differ per branch and URL, and never carry credentials', () => {
    const url = parseGitUrl('https://ada:s3cret@github.example/org/fleet.git');
    const name = workspaceDirName(url, 'main');
    expect(name).toMatch(/^github\.example-fleet-main-[0-9a-f]{12}$/);
    expect(name).not.toContain('s3cret');
    expect(workspaceDirName(url, 'feature/x')).toMatch(/^github\.example-fleet-feature-x-[0-9a-f]{12}$/);
    expect(workspaceDirName(url, 'feature/x')).not.toBe(workspaceDirName(url, 'feature-x'));
    expect(workspaceDirName(parseGitUrl('https://github.example/other/fleet.git'), 'main')).not.toBe(name);
  });
});
