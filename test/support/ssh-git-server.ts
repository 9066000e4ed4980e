import { spawn } from 'node:child_process';
import { join } from 'node:path';

import ssh2 from 'ssh2';

/**
 * An SSH server on 127.0.0.1 (ssh2's server, public-key auth only) that runs the real `git-upload-pack` and
 * `git-receive-pack` for exec requests, so clone, fetch and push go through the system git and OpenSSH exactly as on
 * a user's machine. Repositories are paths under `root`.
 */
export async function startSshGitServer(
  root: string,
  hostKey: string,
  clientPub: string,
): Promise<{ port: number; close: () => void }> {
  const allowed = ssh2.utils.parseKey(clientPub);
  if (allowed instanceof Error) throw allowed;
  const server = new ssh2.Server({ hostKeys: [hostKey] }, (client) => {
    client
      .on('authentication', (ctx) => {
        if (
          ctx.method === 'publickey' &&
          ctx.key.algo === allowed.type &&
          ctx.key.data.equals(allowed.getPublicSSH())
        ) {
          if (!ctx.signature || !ctx.blob) return ctx.accept();
          if (allowed.verify(ctx.blob, ctx.signature, ctx.hashAlgo)) return ctx.accept();
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
  return { port: (server.address() as { port: number }).port, close: () => server.close() };
}
