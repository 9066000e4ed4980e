import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type GitServer, startGitServer } from '../../support/git-server.ts';

const exec = promisify(execFile);

async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await exec(
    'git',
    ['-c', 'user.name=T', '-c', 'user.email=t@example.com', '-c', 'credential.helper=', ...args],
    {
      cwd,
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
    },
  );
  return stdout;
}

describe('local git server (smart HTTP through git http-backend)', () => {
  let server: GitServer;
  let work: string;

  beforeAll(async () => {
    server = await startGitServer({ auth: { basic: { username: 'alice', password: 's3cret' }, bearer: 'tok-123' } });
    work = await mkdtemp(join(tmpdir(), 'fluxdeck-gs-'));
  });
  afterAll(async () => {
    await server.close();
    await rm(work, { recursive: true, force: true });
    await rm(server.root, { recursive: true, force: true });
  });

  it('accepts a push with basic auth and a clone with a bearer token', async () => {
    const url = await server.createRepo('apps');
    const src = join(work, 'src');
    await exec('git', ['init', '-q', '-b', 'main', src]);
    await writeFile(join(src, 'app.yaml'), 'kind: ConfigMap\n');
    await git(src, 'add', '.');
    await git(src, 'commit', '-qm', 'first');
    const withBasic = url.replace('http://', 'http://alice:s3cret@');
    await git(src, 'push', '-q', withBasic, 'HEAD:refs/heads/main');

    const dst = join(work, 'dst');
    await git(work, '-c', 'http.extraHeader=Authorization: Bearer tok-123', 'clone', '-q', '--depth', '1', url, dst);
    expect(await readFile(join(dst, 'app.yaml'), 'utf8')).toBe('kind: ConfigMap\n');
    expect((await git(dst, 'log', '--format=%s')).trim()).toBe('first');
  });

  it('refuses a wrong password and a missing credential', async () => {
    const url = await server.createRepo('locked');
    await expect(git(work, 'ls-remote', url.replace('http://', 'http://alice:wrong@'))).rejects.toThrow(
      /Authentication failed|401/,
    );
    await expect(git(work, 'ls-remote', url)).rejects.toThrow(/could not read Username|Authentication failed|401/);
    await expect(git(work, '-c', 'http.extraHeader=Authorization: Bearer nope', 'ls-remote', url)).rejects.toThrow(
      /401|Authentication failed|could not read/,
    );
  });
});
