/**
 * Runs commands from a Node process of its own. A benchmark that spawns its reference command (`git clone`, `git
 * push`) from the process it measures pays for the spawn in what it measures next: the fork leaves the parent's
 * memory copy-on-write, and the next Workspace.open in it took ~15,000 minor page faults instead of ~1,500 and ran
 * 1.5–2× slower (bench workspace, stop 39: the same after `sleep 0.6` run as a child; not after a timer). Forking this
 * small process instead leaves the measured one alone, as a user's git in a terminal does.
 */
import { execFile } from 'node:child_process';
import { once } from 'node:events';

import { forkSelf, stopForked } from './forked.ts';

export interface CommandProcess {
  /** Runs `file` with `args` and resolves with its stdout; rejects with its stderr when it fails. */
  run(file: string, args: string[], opts?: { cwd?: string }): Promise<{ stdout: string }>;
  close(): Promise<void>;
}

interface Request {
  id: number;
  file: string;
  args: string[];
  cwd?: string;
}

interface Reply {
  id: number;
  stdout: string;
  error?: string;
}

export async function startCommandProcess(): Promise<CommandProcess> {
  const child = forkSelf(import.meta.filename, ['--run-commands']);
  const pending = new Map<number, { resolve: (r: { stdout: string }) => void; reject: (e: Error) => void }>();
  let next = 0;
  child.on('message', (m: Reply) => {
    const p = pending.get(m.id);
    pending.delete(m.id);
    if (m.error === undefined) p?.resolve({ stdout: m.stdout });
    else p?.reject(new Error(m.error));
  });
  child.once('exit', (code) => {
    for (const p of pending.values()) p.reject(new Error(`the command process exited with ${String(code)}`));
    pending.clear();
  });
  await once(child, 'spawn');
  return {
    run: (file, args, opts = {}) =>
      new Promise((resolve, reject) => {
        const id = next++;
        pending.set(id, { resolve, reject });
        child.send({ id, file, args, ...(opts.cwd !== undefined && { cwd: opts.cwd }) } satisfies Request);
      }),
    close: () => stopForked(child),
  };
}

// The child: runs each request and answers it, until its parent disconnects.
if (process.argv[1] === import.meta.filename && process.argv[2] === '--run-commands') {
  process.on('message', (req: Request) => {
    execFile(req.file, req.args, { cwd: req.cwd, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const reply: Reply = err
        ? { id: req.id, stdout, error: `${req.file} ${req.args.join(' ')}: ${stderr || err.message}` }
        : { id: req.id, stdout };
      process.send?.(reply);
    });
  });
  process.once('disconnect', () => process.exit(0));
}
