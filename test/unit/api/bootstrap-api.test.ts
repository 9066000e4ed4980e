import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { createApi, type FluxdeckApiServer } from '../../../main/api/create-api.ts';
import type { BootstrapProgress } from '../../../main/contract/index.ts';
import { WorkspaceError } from '../../../main/sources/workspace/index.ts';
import { createLogger } from '../../../main/util/logger.ts';
import { clusterInfo, createMemoryEngine, type MemoryEngine, type OpenWorkspace } from '../../support/memory-engine.ts';
import { capabilities, ctx, recordingSink } from './api-fixtures.ts';

// The bootstrap wizard's requests through the api, on the memory engine (whose bootstraps end at the clone): steps
// reach every client tagged with the request's id, a failure carries what to do next, one run per cluster at a time,
// cancel stops it, and the password never leaves: not in an event, an answer or a log line.

const PASSWORD = 'hunter2-very-secret';
const actionId = '0f8fad5b-d9cb-469f-a165-70867728950e';
const request = {
  actionId,
  cluster: 'prod',
  url: 'https://git.example.com/org/fleet.git',
  branch: 'main',
  path: 'clusters/prod',
  mode: 'desktop',
  credentials: { username: 'fleet', password: PASSWORD },
} as const;

/** A clone that waits until the run is cancelled (its signal is what the workbench aborts at the next step). */
function heldClone(): { open: OpenWorkspace; release(err: Error): void } {
  let fail: (err: Error) => void = () => undefined;
  return {
    open: () => new Promise((_resolve, reject) => (fail = reject)),
    release: (err) => fail(err),
  };
}

describe('bootstrap through the api', () => {
  let engine: MemoryEngine;
  let api: FluxdeckApiServer;
  let sink = recordingSink();
  let logged: string[];

  const start = (open: OpenWorkspace): void => {
    engine = createMemoryEngine({ openWorkspace: open });
    engine.putCluster(clusterInfo('prod', 'connected'));
    logged = [];
    const logger = createLogger({ write: (line) => void logged.push(line) }, 'debug');
    api = createApi({ port: engine, capabilities, logger, checkResponses: true });
    api.attach(sink);
  };
  const steps = (): BootstrapProgress[] =>
    sink.events.filter((e) => e.channel === 'bootstrap:onProgress').map((e) => e.payload as BootstrapProgress);

  beforeEach(() => {
    sink = recordingSink();
  });
  afterEach(async () => {
    api.close();
    await engine.close();
  });

  it('reports the steps tagged with its id, and refused credentials as unauthorized with what to check', async () => {
    start(() => Promise.reject(new WorkspaceError('auth', 'HTTP 401 from git.example.com: authentication required')));
    const result = await api.router.invoke('bootstrap:start', request, ctx);
    expect(result).toMatchObject({
      ok: false,
      error: {
        code: 'unauthorized',
        message: expect.stringMatching(/^The bootstrap of prod failed: cannot clone https:\/\/git\.example\.com/),
        details: { hint: expect.stringMatching(/Check the username and the password or token/) },
      },
    });
    expect(steps().map((s) => [s.actionId, s.cluster, s.state])).toEqual([
      [actionId, 'prod', 'running'],
      [actionId, 'prod', 'failed'],
    ]);
    expect(steps()[0]?.message).toBe('cloning main of https://git.example.com/org/fleet.git');
    await new Promise((r) => setTimeout(r, 20)); // the push hub flushes on a timer
    const everything = JSON.stringify([sink.events, result, logged]);
    expect(logged.length).toBeGreaterThan(0);
    expect(everything).not.toContain(PASSWORD);
  });

  it('refuses a second bootstrap of the same cluster while one runs, and cancel stops the first', async () => {
    const clone = heldClone();
    start(clone.open);
    const first = api.router.invoke('bootstrap:start', request, ctx);
    await new Promise((r) => setTimeout(r, 0));
    const second = await api.router.invoke(
      'bootstrap:start',
      { ...request, actionId: `${actionId.slice(0, -1)}f` },
      ctx,
    );
    expect(second).toMatchObject({
      ok: false,
      error: { code: 'conflict', message: expect.stringMatching(/A bootstrap of prod is already running/) },
    });
    expect(await api.router.invoke('bootstrap:cancel', { cluster: 'prod' }, ctx)).toEqual({
      ok: true,
      value: { cancelled: true },
    });
    // The clone ends on its own (it takes no signal); the run stops there instead of going on to push.
    clone.release(new Error('clone interrupted'));
    expect(await first).toMatchObject({
      ok: false,
      error: { code: 'cancelled', details: { hint: expect.stringMatching(/running the bootstrap again finishes it/) } },
    });
    expect(await api.router.invoke('bootstrap:cancel', { cluster: 'prod' }, ctx)).toEqual({
      ok: true,
      value: { cancelled: false },
    });
  });

  it('refuses bad input before anything runs: an empty URL, a path outside the repository, a disconnected cluster', async () => {
    start(() => Promise.reject(new Error('must not clone')));
    const empty = await api.router.invoke('bootstrap:start', { ...request, url: '  ' }, ctx);
    expect(empty).toMatchObject({
      ok: false,
      error: { code: 'invalid-request', message: expect.stringContaining('url: the repository URL is required') },
    });
    const ssh = await api.router.invoke('bootstrap:start', { ...request, path: '../etc' }, ctx);
    expect(ssh).toMatchObject({ ok: false, error: { code: 'invalid-request' } });
    engine.putCluster(clusterInfo('prod', 'disconnected'));
    const away = await api.router.invoke('bootstrap:start', request, ctx);
    expect(away).toMatchObject({ ok: false, error: { code: 'not-connected' } });
    await engine.setPaused(true);
    engine.putCluster(clusterInfo('prod', 'connected'));
    const paused = await api.router.invoke('bootstrap:start', request, ctx);
    expect(paused).toMatchObject({ ok: false, error: { code: 'unavailable', message: /paused/ } });
    // Nothing ran: no step started, only the refusals were reported.
    expect(steps().map((s) => s.state)).toEqual(['failed', 'failed', 'failed']);
  });
});
