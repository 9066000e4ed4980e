import { describe, expect, it } from 'vitest';

import { indexURL } from '../../../../main/controllers/helmrepository/controller.ts';
import type { HelmRepositoryPorts, IndexRepository } from '../../../../main/controllers/helmrepository/ports.ts';
import { reconcileHelmRepository, withDefaultInterval } from '../../../../main/controllers/helmrepository/reconcile.ts';
import type { Artifact, HelmRepository } from '../../../../main/flux/source.ts';

function repo(spec: Partial<HelmRepository['spec']>, status?: HelmRepository['status']): IndexRepository {
  return withDefaultInterval({
    apiVersion: 'source.toolkit.fluxcd.io/v1',
    kind: 'HelmRepository',
    metadata: { name: 'charts', namespace: 'apps', generation: 1, finalizers: ['finalizers.fluxcd.io'] },
    spec: { url: 'https://charts.example.com', ...spec },
    ...(status ? { status } : {}),
  });
}

function harness() {
  const h = { resets: 0, fetches: 0, stored: [] as string[], statuses: [] as NonNullable<HelmRepository['status']>[] };
  const files = new Set<string>();
  const ports: HelmRepositoryPorts = {
    secret: () => Promise.resolve(undefined),
    fetchIndex: () => {
      h.fetches++;
      return Promise.resolve({ revision: 'sha256:aa', index: {}, describe: "revision 'sha256:aa'" });
    },
    storeIndex: (_r, f) => {
      h.stored.push(f.revision);
      const a: Artifact = { path: 'p', url: 'u', revision: f.revision, digest: 'sha256:d', lastUpdateTime: 't' };
      files.add(a.path);
      return Promise.resolve(a);
    },
    resetStatic: () => {
      h.resets++;
      return Promise.resolve();
    },
    artifactExists: (a) => Promise.resolve(files.has(a.path)),
    deleteArtifacts: () => Promise.resolve(),
    writeStatus: (_o, s) => {
      h.statuses.push(structuredClone(s));
      return Promise.resolve();
    },
    setFinalizer: () => Promise.resolve(),
    event: () => undefined,
    now: () => new Date('2026-12-04T00:00:00Z'),
  };
  return { h, ports };
}

const signal = new AbortController().signal;

describe('reconcileHelmRepository', () => {
  it('stores the index once and requeues after the default interval of 1m', async () => {
    const { h, ports } = harness();
    const out = await reconcileHelmRepository(repo({}), ports, signal);
    expect(out.requeueAfterMs).toBe(60_000);
    expect(h.stored).toEqual(['sha256:aa']);
    const last = h.statuses.at(-1)!;
    expect(last.artifact?.revision).toBe('sha256:aa');
    expect(last.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', reason: 'Succeeded' });
    await reconcileHelmRepository(repo({}, last), ports, signal);
    expect(h.stored).toEqual(['sha256:aa']);
  });

  it('leaves an OCI repository static: nothing fetched, old status and finalizer cleared once', async () => {
    const { h, ports } = harness();
    const oci = { url: 'oci://r.example/charts', type: 'oci' as const };
    await reconcileHelmRepository(repo(oci, { conditions: [] }), ports, signal);
    expect(h.resets).toBe(1);
    const migrated = repo(oci);
    migrated.metadata.finalizers = [];
    await reconcileHelmRepository(migrated, ports, signal);
    expect(h.resets).toBe(1);
    expect(h.fetches).toBe(0);
  });

  it('joins index.yaml to the URL and refuses other schemes', () => {
    expect(indexURL('https://h.example/charts/').href).toBe('https://h.example/charts/index.yaml');
    expect(indexURL('http://h.example').href).toBe('http://h.example/index.yaml');
    expect(() => indexURL('oci://h.example/charts')).toThrow(/type: oci/);
  });
});
