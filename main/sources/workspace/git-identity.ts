import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The commit author from the user's git configuration (`user.name`, `user.email`), as `git commit` would pick it:
 * the system `git config` when git is installed (it knows includes and conditional includes), else the global files
 * read directly (`$XDG_CONFIG_HOME/git/config`, then `~/.gitconfig`, the later winning).
 */

export interface GitIdentity {
  name: string;
  email: string;
}

/** `[user]` name and email of one git config file's text (subsections and includes are not followed). */
export function identityFromConfig(text: string): Partial<GitIdentity> {
  const out: Partial<GitIdentity> = {};
  let section = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/(^|\s)[#;].*$/, '').trim();
    const header = /^\[\s*([\w.-]+)(?:\s+"[^"]*")?\s*\]/.exec(line);
    if (header) {
      section = line.includes('"') ? '' : (header[1]?.toLowerCase() ?? '');
      continue;
    }
    const kv = /^([\w-]+)\s*=\s*(.*)$/.exec(line);
    if (section !== 'user' || !kv) continue;
    const key = kv[1]?.toLowerCase();
    const value = (kv[2] ?? '').replace(/^"(.*)"$/, '$1').trim();
    if (key === 'name' && value) out.name = value;
    if (key === 'email' && value) out.email = value;
  }
  return out;
}

/** `git config --get-regexp` output for user.name and user.email: one `key value` line each, the last one winning. */
export function identityFromConfigList(stdout: string): Partial<GitIdentity> {
  const out: Partial<GitIdentity> = {};
  for (const line of stdout.split(/\r?\n/)) {
    const m = /^user\.(name|email) (.*)$/i.exec(line);
    const value = m?.[2]?.trim();
    if (!m || !value) continue;
    if (m[1]?.toLowerCase() === 'name') out.name = value;
    else out.email = value;
  }
  return out;
}

/**
 * user.name and user.email as git resolves them, from one `git config` run (each spawn from the app's main process
 * costs it copy-on-write faults afterwards: see test/support/command-process.ts); null when git is not installed.
 */
function gitUserConfig(cwd: string | undefined): Promise<Partial<GitIdentity> | null> {
  return new Promise((resolve) => {
    execFile(
      'git',
      ['config', '--get-regexp', '^user\\.(name|email)$'],
      { ...(cwd ? { cwd } : {}), timeout: 5000 },
      (err, stdout) => {
        // Exit status 1 is "nothing set": the same as an empty list.
        if ((err as NodeJS.ErrnoException | null)?.code === 'ENOENT') resolve(null);
        else resolve(identityFromConfigList(stdout));
      },
    );
  });
}

export async function userGitIdentity(cwd?: string): Promise<GitIdentity | undefined> {
  const configured = await gitUserConfig(cwd);
  if (configured !== null) {
    const { name, email } = configured;
    return name && email ? { name, email } : undefined;
  }
  const files = [
    join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'git', 'config'),
    join(homedir(), '.gitconfig'),
  ];
  const found: Partial<GitIdentity> = {};
  for (const file of files) {
    const text = await readFile(file, 'utf8').catch(() => '');
    Object.assign(found, identityFromConfig(text));
  }
  return found.name && found.email ? { name: found.name, email: found.email } : undefined;
}
