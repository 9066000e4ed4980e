import { describe, expect, it } from 'vitest';

import { FluxdeckError } from '../../../main/contract/index.ts';
import type { ClusterClient } from '../../../main/kube/cluster-client.ts';
import type { RestRequest } from '../../../main/kube/rest-transport.ts';
import { createKindSchemas } from '../../../main/workbench/kind-schemas.ts';

// Schemas come from the cluster: which documents are read, when they are read again, and the CRD fallback. The
// client is a stand-in that serves an /openapi/v3 index and documents, and counts what it was asked.

const deployment = {
  components: {
    schemas: {
      'io.k8s.api.apps.v1.Deployment': {
        type: 'object',
        properties: { spec: { type: 'object', properties: { replicas: { type: 'integer' } } } },
        'x-kubernetes-group-version-kind': [{ group: 'apps', version: 'v1', kind: 'Deployment' }],
      },
    },
  },
};

function fakeClient(opts: { crds?: unknown[]; failFirst?: boolean } = {}) {
  const asked: string[] = [];
  const index: Record<string, { serverRelativeURL: string }> = {
    'apis/apps/v1': { serverRelativeURL: '/openapi/v3/apis/apps/v1?hash=A' },
  };
  let failures = opts.failFirst ? 1 : 0;
  const client = {
    request: (req: RestRequest) => {
      const q = new URLSearchParams(req.query as Record<string, string>).toString();
      asked.push(`${req.path}${q ? `?${q}` : ''}`);
      if (failures > 0) {
        failures--;
        return Promise.reject(new Error('connection reset'));
      }
      if (req.path === '/openapi/v3') return Promise.resolve({ paths: index });
      if (req.path === '/openapi/v3/apis/apps/v1') return Promise.resolve(deployment);
      return Promise.resolve({ components: { schemas: {} } });
    },
    list: () => {
      asked.push('list CRDs');
      return Promise.resolve({ items: opts.crds ?? [] });
    },
  };
  return { client: client as unknown as ClusterClient, asked };
}

const signal = new AbortController().signal;

describe('schemas from the cluster', () => {
  it('reads the index and the group-version document once, then answers from the cache', async () => {
    const schemas = createKindSchemas();
    const { client, asked } = fakeClient();
    const first = await schemas.get(client, 'apps/v1', 'Deployment', signal);
    const again = await schemas.get(client, 'apps/v1', 'Deployment', signal);
    expect(first.source).toBe('openapi');
    expect(again).toBe(first);
    expect(asked).toEqual(['/openapi/v3', '/openapi/v3/apis/apps/v1?hash=A']);
  });

  it('keeps one cache per client, so a reconnected cluster is read afresh', async () => {
    const schemas = createKindSchemas();
    const a = fakeClient();
    const b = fakeClient();
    await schemas.get(a.client, 'apps/v1', 'Deployment', signal);
    await schemas.get(b.client, 'apps/v1', 'Deployment', signal);
    expect(b.asked).toHaveLength(2);
  });

  it('reads the index again for a kind it does not have (a CRD installed meanwhile), then falls back to the CRD', async () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.com' },
      spec: {
        group: 'example.com',
        names: { kind: 'Widget' },
        versions: [
          { name: 'v1', schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object' } } } } },
        ],
      },
    };
    const schemas = createKindSchemas();
    const { client, asked } = fakeClient({ crds: [crd] });
    const widget = await schemas.get(client, 'example.com/v1', 'Widget', signal);
    expect(widget.source).toBe('crd');
    expect(asked.filter((a) => a === '/openapi/v3')).toHaveLength(2);
    expect(asked).toContain('list CRDs');
  });

  it('says not-found for a kind the cluster does not serve', async () => {
    const schemas = createKindSchemas();
    const { client } = fakeClient();
    await expect(schemas.get(client, 'example.com/v1', 'Gadget', signal)).rejects.toSatisfy(
      (e: unknown) => e instanceof FluxdeckError && e.code === 'not-found' && /Gadget/.test(e.message),
    );
  });

  it('does not remember a failed read', async () => {
    const schemas = createKindSchemas();
    const { client } = fakeClient({ failFirst: true });
    await expect(schemas.get(client, 'apps/v1', 'Deployment', signal)).rejects.toThrow(/connection reset/);
    expect((await schemas.get(client, 'apps/v1', 'Deployment', signal)).kind).toBe('Deployment');
  });
});
