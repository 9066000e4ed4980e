import { describe, expect, it } from 'vitest';

import type { ClusterClient } from '../../../main/kube/cluster-client.ts';
import type { Workspace } from '../../../main/sources/workspace/workspace.ts';
import { bootstrapRuns } from '../../../main/workbench/bootstrap-runs.ts';

// The wizard's run state: a cancel answers the running request at once even while its step (a clone that takes no
// signal) is still in flight, and a retry after a cancel waits for that step instead of being refused.

const input = {
  cluster: 'dev',
  url: 'https://git.example.com/fleet.git',
  path: 'clusters/dev',
  mode: 'desktop' as const,
};

/** A clone that ends only when the test says so, counting how often it was started. */
function heldClone(): { opened: () => number; fail(message: string): void; open(): Promise<Workspace> } {
  let opened = 0;
  const waiting: ((err: Error) => void)[] = [];
  return {
    opened: () => opened,
    fail: (message) => waiting.splice(0).forEach((reject) => reject(new Error(message))),
    open: () => {
      opened++;
      return new Promise<Workspace>((_, reject) => waiting.push(reject));
    },
  };
}

function runsWith(clone: ReturnType<typeof heldClone>): ReturnType<typeof bootstrapRuns> {
  return bootstrapRuns({
    // Nothing before the clone touches the cluster (https, no SSH key to prepare).
    target: () => ({ client: { context: 'dev' } as unknown as ClusterClient, openWorkspace: () => clone.open() }),
    connect: () => Promise.resolve(),
    paused: () => false,
  });
}

const noSignal = (): { signal: AbortSignal; onStep(): void } => ({ signal: new AbortController().signal, onStep() {} });

describe('bootstrapRuns cancel', () => {
  it('answers cancelled while the clone is still running', async () => {
    const clone = heldClone();
    const runs = runsWith(clone);
    const run = runs.run(input, noSignal());
    await expect.poll(clone.opened).toBe(1);
    expect(runs.cancel('dev')).toBe(true);
    await expect(run).rejects.toMatchObject({
      code: 'cancelled',
      message: 'The bootstrap of dev was cancelled',
      details: { hint: expect.stringMatching(/running the bootstrap again finishes it/) },
    });
    // Cancelled already: a second cancel has nothing to stop.
    expect(runs.cancel('dev')).toBe(false);
    clone.fail('late');
  });

  it('lets a retry start once the cancelled step has ended, refusing only a second live run', async () => {
    const clone = heldClone();
    const runs = runsWith(clone);
    const first = runs.run(input, noSignal());
    await expect.poll(clone.opened).toBe(1);
    runs.cancel('dev');
    await expect(first).rejects.toMatchObject({ code: 'cancelled' });
    const retry = runs.run(input, noSignal());
    // A live retry holds the cluster: another request is refused.
    await expect(runs.run(input, noSignal())).rejects.toMatchObject({ code: 'conflict' });
    // The retry waits for the cancelled clone before it clones itself.
    expect(clone.opened()).toBe(1);
    clone.fail('cancelled clone ended');
    await expect.poll(clone.opened).toBe(2);
    clone.fail('no such repository');
    await expect(retry).rejects.toMatchObject({ message: expect.stringMatching(/cannot clone .*no such repository/) });
  });
});
