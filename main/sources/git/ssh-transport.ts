/**
 * ssh:// GitRepositories go through the system's `git` and OpenSSH (see "Git over SSH" in the README for why), with
 * the secret's `identity`, `known_hosts` and optional `password` (key passphrase) written to a private temporary
 * directory for the duration of one command. Host keys are checked strictly against `known_hosts` only (the user's
 * own ~/.ssh files and ssh-agent are not consulted), which is what Flux does with its knownhosts callback.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { fetchFailed, SourceReason } from '../source-error.ts';
import type { SshAuth } from './git-auth.ts';
import type { RemoteRef } from './git-reference.ts';
import type { GitUrl } from './git-url.ts';

export interface SshGit {
  /** `git ls-remote` for refs under `prefix`, tags peeled. */
  lsRemote(prefix: string): Promise<RemoteRef[]>;
  /** `git fetch` of `want` (a ref or a commit) into `gitdir`, storing it under `localRef`. */
  fetch(gitdir: string, want: string, localRef: string, depth: number | undefined): Promise<void>;
}

const execFileAsync = promisify(execFile);

const q = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`;

/** The `ssh://user@host:port/path` form git needs (IPv6 hosts in brackets). */
export function sshRemote(url: GitUrl): string {
  return `ssh://${encodeURIComponent(url.user)}@${url.host.includes(':') ? `[${url.host}]` : url.host}:${url.port}${url.path}`;
}

/** What a git command printed; attached to the error (as `stdout`/`stderr`) when it fails. */
export interface GitOutput {
  stdout: string;
  stderr: string;
}

/**
 * Runs the system `git` with `args` against an ssh:// remote using only the given key and `known_hosts`, written to
 * a private temporary directory that is removed afterwards. A failure rejects with execFile's error, with `stdout`
 * and `stderr` on it (the caller classifies them). Also used by main/sources/workspace to push.
 */
export async function runGitOverSsh(
  auth: SshAuth,
  args: string[],
  opts: { signal: AbortSignal; cwd?: string },
): Promise<GitOutput> {
  const dir = await mkdtemp(join(tmpdir(), 'fluxdeck-ssh-'));
  try {
    await chmod(dir, 0o700);
    const identity = join(dir, 'identity');
    const knownHosts = join(dir, 'known_hosts');
    await writeFile(identity, auth.identity.endsWith('\n') ? auth.identity : `${auth.identity}\n`, { mode: 0o600 });
    await writeFile(knownHosts, auth.knownHosts, { mode: 0o600 });
    const ssh = [
      'ssh',
      `-i ${q(identity)}`,
      '-o IdentitiesOnly=yes',
      '-o IdentityAgent=none',
      `-o UserKnownHostsFile=${q(knownHosts)}`,
      '-o GlobalKnownHostsFile=/dev/null',
      '-o StrictHostKeyChecking=yes',
      '-o PasswordAuthentication=no',
      '-o KbdInteractiveAuthentication=no',
      '-o ConnectTimeout=30',
      '-F /dev/null',
    ];
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: dir,
      GIT_TERMINAL_PROMPT: '0',
      GIT_CONFIG_NOSYSTEM: '1',
    };
    if (auth.passphrase !== undefined) {
      // OpenSSH reads a key passphrase only through SSH_ASKPASS when there is no terminal.
      const askpass = join(dir, 'askpass');
      await writeFile(askpass, '#!/bin/sh\nprintf "%s\\n" "$FLUXDECK_SSH_PASSPHRASE"\n', { mode: 0o700 });
      Object.assign(env, {
        SSH_ASKPASS: askpass,
        SSH_ASKPASS_REQUIRE: 'force',
        DISPLAY: ':0',
        FLUXDECK_SSH_PASSPHRASE: auth.passphrase,
      });
    } else {
      ssh.push('-o BatchMode=yes');
    }
    env.GIT_SSH_COMMAND = ssh.join(' ');
    return await new Promise<GitOutput>((resolve, reject) => {
      execFile(
        'git',
        args,
        { env, signal: opts.signal, maxBuffer: 64 * 1024 * 1024, ...(opts.cwd ? { cwd: opts.cwd } : {}) },
        (err, stdout, stderr) => {
          if (!err) return resolve({ stdout, stderr });
          const failure: Error & GitOutput = Object.assign(err, { stdout, stderr });
          reject(failure);
        },
      );
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function sshGit(url: GitUrl, auth: SshAuth, signal: AbortSignal, secretName: string): SshGit {
  const remote = sshRemote(url);
  const run = async (args: string[]): Promise<string> => {
    try {
      return (await runGitOverSsh(auth, args, { signal })).stdout;
    } catch (err) {
      const failed = new Error(`git ${args[0] === '--git-dir' ? 'fetch' : args[0]} failed`, { cause: err });
      throw classifySsh(failed, url, secretName);
    }
  };
  return {
    async lsRemote(prefix) {
      const out = await run(['ls-remote', remote, `${prefix}*`]);
      const refs = new Map<string, RemoteRef>();
      for (const line of out.split('\n')) {
        const [oid, ref] = line.split('\t');
        if (!oid || !ref) continue;
        if (ref.endsWith('^{}')) {
          const base = refs.get(ref.slice(0, -3));
          if (base) base.peeled = oid;
        } else {
          refs.set(ref, { ref, oid });
        }
      }
      return [...refs.values()];
    },
    async fetch(gitdir, want, localRef, depth) {
      await run([
        '--git-dir',
        gitdir,
        'fetch',
        '--quiet',
        '--no-tags',
        '--no-write-fetch-head',
        ...(depth === undefined ? [] : [`--depth=${depth}`]),
        remote,
        `+${want}:${localRef}`,
      ]);
    },
  };
}

export function classifySsh(err: unknown, url: GitUrl, secretName: string): Error {
  const e = ((err as { cause?: unknown }).cause ?? err) as { code?: string | number; stderr?: string; name?: string };
  if (e.name === 'AbortError') return err as Error;
  if (e.code === 'ENOENT') {
    return fetchFailed(
      SourceReason.GitOperationFailed,
      `ssh:// URLs need the 'git' and 'ssh' commands, which were not found on PATH; install Git (with OpenSSH) or use an https:// URL`,
      err,
    );
  }
  const stderr = (e.stderr ?? '').trim();
  const where = url.display;
  if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|No .* host key is known/i.test(stderr)) {
    return fetchFailed(
      SourceReason.AuthenticationFailed,
      `the host key of ${url.host} is not in 'known_hosts' of ${secretName}; add the output of 'ssh-keyscan -p ${url.port} ${url.host}' after checking it`,
      err,
    );
  }
  if (/Permission denied|incorrect passphrase|bad passphrase|invalid format|Load key/i.test(stderr)) {
    return fetchFailed(
      SourceReason.AuthenticationFailed,
      `ssh authentication to ${url.host} failed: check 'identity' (and 'password' for an encrypted key) in ${secretName}, and that the server knows the public key`,
      err,
    );
  }
  if (
    /Could not resolve hostname|Connection refused|Connection timed out|No route to host|Connection closed/i.test(
      stderr,
    )
  ) {
    return fetchFailed(SourceReason.GitOperationFailed, `cannot reach ${where}: ${lastLine(stderr)}`, err);
  }
  return fetchFailed(
    SourceReason.GitOperationFailed,
    `git over ssh failed for ${where}: ${lastLine(stderr) || String(err)}`,
    err,
  );
}

function lastLine(s: string): string {
  return (
    s
      .split('\n')
      .filter((l) => l.trim() !== '')
      .pop() ?? ''
  );
}

/**
 * The host keys `host:port` presents, as `known_hosts` text, read with OpenSSH's `ssh-keyscan` (the same OpenSSH the
 * transport runs, so the key types are the ones `ssh` will check). The keys are trusted on first use by whoever asks:
 * show their fingerprints to the user. Rejects with a message naming the host when no key could be read.
 */
export async function scanHostKeys(host: string, port: number, signal?: AbortSignal): Promise<string> {
  const { stdout, stderr } = await execFileAsync('ssh-keyscan', ['-T', '15', '-p', String(port), host], {
    env: { PATH: process.env.PATH },
    ...(signal ? { signal } : {}),
  }).catch((err: unknown) => {
    const e = err as Error & Partial<GitOutput> & { code?: unknown };
    // ssh-keyscan exits 1 when a host does not answer; what it said is still worth showing.
    if (e.code === 1) return { stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    if (e.code === 'ENOENT')
      throw new Error(`reading the host key of ${host} needs 'ssh-keyscan' (OpenSSH), which was not found on PATH`, {
        cause: err,
      });
    throw err;
  });
  const lines = stdout
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((l) => `${l.trim()}\n`);
  if (lines.length === 0)
    throw new Error(
      `no SSH host key could be read from ${host}:${port}${lastLine(stderr) ? `: ${lastLine(stderr)}` : ''}; check the host and port and that the server is up`,
    );
  return lines.join('');
}

/**
 * The `authorized_keys` line of a private key (any format OpenSSH reads), with `ssh-keygen -y`; this also proves the
 * key and its passphrase are right before anything is written. The key goes through a private temporary file.
 */
export async function sshPublicKeyOf(privateKey: string, passphrase?: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fluxdeck-ssh-'));
  try {
    await chmod(dir, 0o700);
    const file = join(dir, 'identity');
    await writeFile(file, privateKey.endsWith('\n') ? privateKey : `${privateKey}\n`, { mode: 0o600 });
    return await new Promise<string>((resolve, reject) => {
      execFile(
        'ssh-keygen',
        ['-y', '-P', passphrase ?? '', '-f', file],
        { env: { PATH: process.env.PATH } },
        (err, stdout, stderr) => {
          if (!err) return resolve(stdout.trim() + '\n');
          const why = /incorrect passphrase|bad passphrase/i.test(stderr)
            ? passphrase
              ? 'the passphrase is wrong'
              : 'it is encrypted: give its passphrase'
            : /invalid format|error in libcrypto/i.test(stderr)
              ? 'it is not a private key OpenSSH can read'
              : lastLine(stderr) || err.message;
          reject(new Error(`cannot use the SSH private key: ${why}`, { cause: err }));
        },
      );
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
