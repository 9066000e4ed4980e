import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { createApi, type FluxdeckApiServer } from '../../../main/api/create-api.ts';
import { FluxdeckError, type WorkTreeStatus } from '../../../main/contract/index.ts';
import { RegistryError } from '../../../main/registry/index.ts';
import { silentLogger } from '../../../main/util/logger.ts';
import { asFluxdeckError } from '../../../main/workbench/errors.ts';
import type { WorkTreePort } from '../../../main/workbench/workbench.ts';
import { clusterInfo, createMemoryEngine, type MemoryEngine } from '../../support/memory-engine.ts';
import { capabilities, ctx, recordingSink } from './api-fixtures.ts';

// The editor's requests through the api: a preview's steps reach every client as events tagged with the preview's
// id, work-tree failures keep their code, and an edited object applies only from the version it started from.

const id = '5f0c1d6e-5b7a-4a0e-9d1e-2f4b8c9a0d11';
const previewId = '0f8fad5b-d9cb-469f-a165-70867728950e';
const status: WorkTreeStatus = { branch: 'main', head: 'a', remoteHead: 'a', ahead: 0, changes: [] };

function workTrees(): WorkTreePort {
  const refuse = (): Promise<never> => Promise.reject(new Error('not used here'));
  return {
    open: refuse,
    read: (_id, path) =>
      path.startsWith('..')
        ? Promise.reject(new FluxdeckError('invalid-request', `${path} is outside the work tree`))
        : Promise.resolve('kind: Deployment\n'),
    write: () => Promise.resolve(status),
    status: () => Promise.resolve(status),
    validate: () => Promise.resolve([]),
    preview: (treeId, opts) => {
      opts.onProgress({ message: 'Building Kustomization flux-system/apps from the work tree', done: 0, total: 2 });
      opts.onProgress({ message: 'Dry-running 3 objects of Kustomization flux-system/apps', done: 1, total: 2 });
      return Promise.resolve({ id: treeId, changes: [], problems: [], kustomizations: [] });
    },
    commit: refuse,
    push: () =>
      Promise.resolve({
        status: 'rejected',
        commit: 'abc',
        reason: 'auth',
        message: 'HTTP 403: push refused',
      } as const),
    reapply: refuse,
    abort: refuse,
    setCredentials: refuse,
    forgetCredentials: refuse,
    pushArtifact: (_id, _input, opts) => {
      opts.onProgress({ message: 'packing apps', done: 0, total: 3 });
      const refusal = new RegistryError('unauthorized', 'ghcr.io refused the credentials: run docker login ghcr.io');
      return Promise.reject(asFluxdeckError(refusal, 'Pushing apps as an OCI artifact failed'));
    },
  };
}

describe('the editor through the api', () => {
  let engine: MemoryEngine;
  let api: FluxdeckApiServer;
  let sink = recordingSink();

  beforeEach(() => {
    vi.useFakeTimers();
    sink = recordingSink();
    engine = createMemoryEngine({ workTrees: workTrees() });
    engine.putCluster(clusterInfo('prod', 'connected'));
    api = createApi({ port: engine, capabilities, logger: silentLogger, checkResponses: true });
    api.attach(sink);
  });
  afterEach(async () => {
    api.close();
    await engine.close();
    vi.useRealTimers();
  });

  it("reports a preview's steps to every client, tagged with its id, before the result", async () => {
    const result = await api.router.invoke('workspace:preview', { id, previewId }, ctx);
    expect(result.ok).toBe(true);
    const steps = sink.events.filter((e) => e.channel === 'workspace:onPreviewProgress').map((e) => e.payload);
    expect(steps).toEqual([
      { previewId, message: 'Building Kustomization flux-system/apps from the work tree', done: 0, total: 2 },
      { previewId, message: 'Dry-running 3 objects of Kustomization flux-system/apps', done: 1, total: 2 },
    ]);
  });

  it('answers a refused push as an outcome, and a refused path with its code', async () => {
    expect(await api.router.invoke('workspace:push', { id }, ctx)).toEqual({
      ok: true,
      value: { status: 'rejected', commit: 'abc', reason: 'auth', message: 'HTTP 403: push refused' },
    });
    const refused = await api.router.invoke('workspace:read', { id, path: '../secrets.yaml' }, ctx);
    expect(refused).toMatchObject({ ok: false, error: { code: 'invalid-request' } });
  });

  it('applies an edited object only from the version it was read at', async () => {
    engine.putObject({
      uid: 'u-1',
      cluster: 'prod',
      group: 'kustomize.toolkit.fluxcd.io',
      version: 'v1',
      kind: 'Kustomization',
      namespace: 'flux-system',
      name: 'apps',
      resourceVersion: '10',
      generation: 1,
      suspended: false,
      conditions: [],
      dependsOn: [],
      revision: {},
    });
    const key = { cluster: 'prod', kind: 'Kustomization', namespace: 'flux-system', name: 'apps' } as const;
    const read = await api.router.invoke('objects:editable', { key }, ctx);
    expect(read).toMatchObject({ ok: true, value: { resourceVersion: '10' } });
    const applied = await api.router.invoke('objects:apply', { key, yaml: 'spec: {}\n', resourceVersion: '10' }, ctx);
    expect(applied).toMatchObject({ ok: true, value: { changed: true } });
    const stale = await api.router.invoke('objects:apply', { key, yaml: 'spec: {}\n', resourceVersion: '10' }, ctx);
    expect(stale).toMatchObject({ ok: false, error: { code: 'conflict' } });
  });

  it("reports an artifact push's steps tagged with its id, and a registry's refusal as unauthorized", async () => {
    const pushId = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
    const request = { id, pushId, dir: 'apps', url: 'oci://ghcr.io/org/apps:latest', insecure: false };
    const refused = await api.router.invoke('workspace:pushArtifact', request, ctx);
    expect(refused).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    const steps = sink.events.filter((e) => e.channel === 'workspace:onArtifactProgress').map((e) => e.payload);
    expect(steps).toEqual([{ pushId, message: 'packing apps', done: 0, total: 3 }]);
    const notOci = await api.router.invoke('workspace:pushArtifact', { ...request, url: 'https://ghcr.io/x' }, ctx);
    expect(notOci).toMatchObject({ ok: false, error: { code: 'invalid-request' } });
  });
});
