/**
 * The test git server (git-server.ts) in a Node process of its own, as a remote server is. A benchmark that times a
 * client running on its own main thread (the editor's clone) must not also charge that thread for the server's work:
 * in the same process, relaying git-http-backend's pack to the socket ran on the thread the client needed, while `git
 * clone`, the reference, ran in a process of its own and paid nothing for it.
 */
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { forkSelf, stopForked } from './forked.ts';
import { createBareRepo, startGitServer } from './git-server.ts';

export interface GitServerProcess {
  url: string;
  /** Creates an empty bare repository that accepts pushes; returns its HTTP URL. */
  createRepo(name: string): Promise<string>;
  repoPath(name: string): string;
  /** Stops the server's process and removes its repositories. */
  close(): Promise<void>;
}

export async function startGitServerProcess(): Promise<GitServerProcess> {
  const root = await mkdtemp(join(tmpdir(), 'fluxdeck-git-'));
  const child = forkSelf(import.meta.filename, ['--serve', root]);
  const [message] = (await Promise.race([
    once(child, 'message'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`the git server process exited with ${String(code)} before serving`);
    }),
  ])) as [{ url: string }];
  const { url } = message;
  return {
    url,
    createRepo: async (name) => {
      await createBareRepo(root, name);
      return `${url}/${name}.git`;
    },
    repoPath: (name) => join(root, `${name}.git`),
    close: async () => {
      await stopForked(child);
      await rm(root, { recursive: true, force: true });
    },
  };
}

// The child: serves `root` until its parent disconnects (or dies, which disconnects it too).
if (process.argv[1] === import.meta.filename && process.argv[2] === '--serve') {
  const server = await startGitServer({ root: process.argv[3] ?? '' });
  process.once('disconnect', () => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
  process.send?.({ url: server.url });
}
