import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import ssh2 from 'ssh2';

import { commitFiles } from './git-server.ts';

const exec = promisify(execFile);

/**
 * An SSH server on 127.0.0.1 (ssh2's server, public-key auth only) that runs the real `git-upload-pack` and
 * `git-receive-pack` for exec requests, so clone, fetch and push go through the system git and OpenSSH exactly as on
 * a user's machine. Repositories are paths under `root`.
 */
export async function startSshGitServer(
  root: string,
  hostKey: string,
  clientPub: string,
): Promise<{ port: number; close: () => void; authorize: (publicKey: string) => void }> {
  const parse = (pub: string): ssh2.ParsedKey => {
    const key = ssh2.utils.parseKey(pub);
    if (key instanceof Error) throw key;
    return key;
  };
  // Keys added later stand for a deploy key the user adds to the repository while bootstrap waits.
  const allowed = [parse(clientPub)];
  const server = new ssh2.Server({ hostKeys: [hostKey] }, (client) => {
    client
      .on('authentication', (ctx) => {
        const key =
          ctx.method === 'publickey'
            ? allowed.find((k) => ctx.key.algo === k.type && ctx.key.data.equals(k.getPublicSSH()))
            : undefined;
        if (key && ctx.method === 'publickey') {
          if (!ctx.signature || !ctx.blob) return ctx.accept();
          if (key.verify(ctx.blob, ctx.signature, ctx.hashAlgo)) return ctx.accept();
        }
        ctx.reject(['publickey']);
      })
      .on('ready', () => {
        client.on('session', (acceptSession) => {
          const session = acceptSession();
          const env: Record<string, string> = {};
          session.on('env', (accept, _reject, info) => {
            env[info.key] = info.val;
            (accept as (() => void) | undefined)?.();
          });
          session.on('exec', (accept, reject, info) => {
            const m = /^(git-upload-pack|git-receive-pack) '(.+)'$/.exec(info.command);
            if (!m) return (reject as (() => void) | undefined)?.();
            const stream = accept();
            const child = spawn(m[1]!, [join(root, m[2]!)], {
              env: { PATH: process.env.PATH, ...(env.GIT_PROTOCOL ? { GIT_PROTOCOL: env.GIT_PROTOCOL } : {}) },
            });
            // git may exit (an upload-pack that has sent all it will) while the client still writes:
            // the EPIPE on its stdin is the end of that conversation, not an error of the server.
            child.stdin.on('error', () => undefined);
            stream.pipe(child.stdin);
            child.stdout.pipe(stream, { end: false });
            child.stderr.pipe(stream.stderr);
            child.on('close', (code) => {
              stream.exit(code ?? 0);
              stream.end();
            });
          });
        });
      })
      .on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    close: () => server.close(),
    authorize: (pub) => void allowed.push(parse(pub)),
  };
}

export interface SshGitFixture {
  /** A temporary directory the fixture owns; tests may put their caches and work trees below it. */
  dir: string;
  /** `ssh://git@127.0.0.1:PORT/app.git`, the one repository, with `files` committed on `main`. */
  url: string;
  port: number;
  /** The bare repository behind `url`, for commits made "on the server". */
  bare: string;
  /** The first commit. */
  commit: string;
  /** A known_hosts line for the server's host key. */
  knownHosts: string;
  /** The private keys by name: `client` is authorized, the others are not. */
  keys: Record<string, string>;
  /** Lets one more public key (an `authorized_keys` line) in, as adding a deploy key to the repository does. */
  authorize(publicKey: string): void;
  close(): Promise<void>;
}

/**
 * An SSH git server with one repository and fresh ed25519 keys: `host`, the authorized `client`, and `extraKeys`
 * (name → passphrase, '' for none) that the server does not know.
 */
export async function startSshGitFixture(
  files: Record<string, string>,
  extraKeys: Record<string, string> = {},
): Promise<SshGitFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'fluxdeck-ssh-'));
  try {
    const keygen = (name: string, pass = ''): Promise<unknown> =>
      exec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', pass, '-C', 'test', '-f', join(dir, name)]);
    const names = ['client', ...Object.keys(extraKeys)];
    await Promise.all([keygen('host'), ...names.map((n) => keygen(n, extraKeys[n]))]);
    const keys = Object.fromEntries(
      await Promise.all(names.map(async (n) => [n, await readFile(join(dir, n), 'utf8')])),
    );
    const bare = join(dir, 'repos', 'app.git');
    await exec('git', ['init', '--bare', '--quiet', '--initial-branch=main', bare]);
    const commit = await commitFiles(bare, files, { message: 'first' });
    const server = await startSshGitServer(
      join(dir, 'repos'),
      await readFile(join(dir, 'host'), 'utf8'),
      await readFile(join(dir, 'client.pub'), 'utf8'),
    );
    const hostPub = (await readFile(join(dir, 'host.pub'), 'utf8')).split(' ').slice(0, 2).join(' ');
    return {
      dir,
      port: server.port,
      url: `ssh://git@127.0.0.1:${server.port}/app.git`,
      bare,
      commit,
      knownHosts: `[127.0.0.1]:${server.port} ${hostPub}\n`,
      keys,
      authorize: server.authorize,
      close: async () => {
        server.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
