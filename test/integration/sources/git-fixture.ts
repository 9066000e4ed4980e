/**
 * A scratch working copy that pushes to a bare repository of the local git server, for fixtures commitFiles cannot
 * make: symlinks, executables, annotated tags, extra refs, force-pushes.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface WorkingCopy {
  dir: string;
  git(...args: string[]): Promise<string>;
  write(files: Record<string, string | { symlink: string } | { exec: string } | null>): Promise<void>;
  /** Commits everything and pushes HEAD to `refs/heads/<branch>` (force when asked); returns the commit. */
  commit(message: string, opts?: { branch?: string; force?: boolean }): Promise<string>;
  push(refspec: string): Promise<void>;
  close(): Promise<void>;
}

export async function workingCopy(bareRepo: string, branch = 'main'): Promise<WorkingCopy> {
  const dir = await mkdtemp(join(tmpdir(), 'fluxdeck-wc-'));
  const git = async (...args: string[]): Promise<string> =>
    (
      await exec('git', ['-c', 'user.name=Fluxdeck Test', '-c', 'user.email=test@fluxdeck.local', '-C', dir, ...args])
    ).stdout.trim();
  await git('init', '--quiet', `--initial-branch=${branch}`);
  await git('remote', 'add', 'origin', bareRepo);
  return {
    dir,
    git,
    async write(files) {
      for (const [path, content] of Object.entries(files)) {
        const abs = join(dir, path);
        await rm(abs, { recursive: true, force: true });
        if (content === null) continue;
        await mkdir(dirname(abs), { recursive: true });
        if (typeof content === 'string') await writeFile(abs, content);
        else if ('symlink' in content) await symlink(content.symlink, abs);
        else {
          await writeFile(abs, content.exec);
          await chmod(abs, 0o755);
        }
      }
    },
    async commit(message, opts = {}) {
      await git('add', '--all');
      await git('commit', '--quiet', '--allow-empty', '-m', message);
      await git(
        'push',
        '--quiet',
        ...(opts.force ? ['--force'] : []),
        'origin',
        `HEAD:refs/heads/${opts.branch ?? branch}`,
      );
      return git('rev-parse', 'HEAD');
    },
    async push(refspec) {
      await git('push', '--quiet', '--force', 'origin', refspec);
    },
    close: () => rm(dir, { recursive: true, force: true }),
  };
}
