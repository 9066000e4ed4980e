/**
 * A test helper that runs in a Node process of its own (git-server-process.ts, command-process.ts): the module forks
 * itself with IPC, and its child exits when the parent disconnects (or dies, which disconnects it too).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';

export function forkSelf(moduleFile: string, args: string[]): ChildProcess {
  return fork(moduleFile, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

/** Disconnects the child and waits until it has exited. */
export async function stopForked(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.disconnect();
  await exited;
}
