import { getPriority } from 'node:os';
import { isMainThread, Worker } from 'node:worker_threads';

import { describe, expect, it } from 'vitest';

import { lowerWorkerThreadPriority, WORKER_NICENESS } from '../../../main/util/worker-limits.ts';

const module = new URL('../../../main/util/worker-limits.ts', import.meta.url).href;

/** Runs lowerWorkerThreadPriority in a real worker thread; resolves to what it returned and the thread's niceness. */
async function inWorker(): Promise<{ changed: boolean; nice: number }> {
  const code = `
    const { parentPort } = require('node:worker_threads');
    const { getPriority } = require('node:os');
    import(${JSON.stringify(module)}).then((m) => {
      const changed = m.lowerWorkerThreadPriority();
      parentPort.postMessage({ changed, nice: getPriority(0) });
    });`;
  const worker = new Worker(code, { eval: true });
  try {
    return await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  } finally {
    await worker.terminate();
  }
}

describe('lowerWorkerThreadPriority', () => {
  it.runIf(process.platform === 'linux')(
    'makes the calling worker thread nicer than the main thread, and leaves the main thread alone',
    async () => {
      const before = getPriority(0);
      const { changed, nice } = await inWorker();
      expect(changed).toBe(before < 19);
      expect(nice).toBe(Math.min(19, before + WORKER_NICENESS));
      expect(getPriority(0)).toBe(before);
    },
  );

  it('does nothing on the main thread, nor where the call would lower the whole process', () => {
    const before = getPriority(0);
    if (isMainThread) expect(lowerWorkerThreadPriority()).toBe(false);
    expect(lowerWorkerThreadPriority('darwin')).toBe(false);
    expect(lowerWorkerThreadPriority('win32')).toBe(false);
    expect(getPriority(0)).toBe(before);
  });
});
