import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';

/**
 * Desktop apps started from a dock or launcher get a bare PATH (`/usr/bin:/bin`), so exec credential plugins
 * installed by Homebrew, asdf, gcloud or the AWS CLI are "not found" although they work in a terminal (the classic
 * Lens bug, lensapp/lens#878). We ask the user's login shell for its PATH once and search that as well.
 */

const MARK = '__FLUXDECK_ENV__';
let cached: Promise<string> | undefined;

/** Parses the output of `echo MARK; env; echo MARK` (rc files may print noise around it). */
export function pathFromEnvDump(output: string): string | undefined {
  const start = output.indexOf(MARK);
  const end = output.lastIndexOf(MARK);
  if (start < 0 || end <= start) return undefined;
  for (const line of output.slice(start + MARK.length, end).split('\n'))
    if (line.startsWith('PATH=')) return line.slice(5).trim();
  return undefined;
}

function askLoginShell(timeoutMs: number): Promise<string | undefined> {
  if (process.platform === 'win32') return Promise.resolve(undefined);
  const shell = process.env.SHELL ?? '/bin/sh';
  return new Promise((resolve) => {
    // `-i -l` loads the same rc files a terminal does. `;` and `echo` work in sh, bash, zsh and fish alike.
    execFile(
      shell,
      ['-ilc', `echo ${MARK}; command env; echo ${MARK}`],
      { timeout: timeoutMs, env: { ...process.env, TERM: 'dumb' }, maxBuffer: 1 << 20 },
      (_err, stdout) => resolve(pathFromEnvDump(stdout)),
    );
  });
}

/** Joins PATH lists, keeping the first occurrence of each directory. */
export function mergePathLists(...lists: (string | undefined)[]): string {
  const seen = new Set<string>();
  for (const l of lists) for (const d of (l ?? '').split(delimiter)) if (d) seen.add(d);
  return [...seen].join(delimiter);
}

/** The PATH exec plugins run with: the process's own PATH followed by the login shell's (asked once, 5 s at most). */
export function execSearchPath(): Promise<string> {
  cached ??= askLoginShell(5000).then((login) => mergePathLists(process.env.PATH, login));
  return cached;
}

/** Finds an executable on a PATH list; a command with a directory part is checked as given. */
export async function findExecutable(command: string, searchPath: string): Promise<string | undefined> {
  const candidates =
    isAbsolute(command) || command.includes('/') ? [command] : searchPath.split(delimiter).map((d) => join(d, command));
  for (const c of candidates) {
    try {
      await access(c, constants.X_OK);
      return c;
    } catch {
      // keep looking
    }
  }
  return undefined;
}
