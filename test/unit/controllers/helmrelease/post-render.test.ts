import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

import {
  commonMetadataDigest,
  postRendererFor,
  postRenderersDigest,
} from '../../../../main/controllers/helmrelease/post-render.ts';
import type { HelmRelease } from '../../../../main/flux/helm.ts';

const manifest = `apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
data:
  a: "1"
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: web
          image: nginx:1.27
`;

describe('post-renderers', () => {
  it('applies kustomize patches and images to the rendered manifest, in order', async () => {
    const spec: Pick<HelmRelease, 'spec' | 'metadata'> = {
      metadata: { name: 'web', namespace: 'apps' },
      spec: {
        interval: '5m',
        postRenderers: [
          {
            kustomize: {
              patches: [
                {
                  target: { kind: 'ConfigMap' },
                  patch: '- op: add\n  path: /metadata/labels\n  value: {team: web}\n',
                },
              ],
            },
          },
          { kustomize: { images: [{ name: 'nginx', newTag: '1.28' }] } },
        ],
      },
    };
    const render = postRendererFor(spec);
    const out = await render(manifest);
    type Obj = {
      kind: string;
      metadata: { labels?: Record<string, string> };
      spec?: { template: { spec: { containers: { image: string }[] } } };
    };
    const objects = parseAllDocuments(out).map((d) => d.toJS() as Obj);
    expect(objects.find((o) => o.kind === 'ConfigMap')?.metadata.labels).toEqual({
      team: 'web',
      'helm.toolkit.fluxcd.io/name': 'web',
      'helm.toolkit.fluxcd.io/namespace': 'apps',
    });
    const deployment = objects.find((o) => o.kind === 'Deployment');
    expect(deployment?.spec?.template.spec.containers[0]?.image).toBe('nginx:1.28');
    expect(postRenderersDigest(spec)).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('labels every object with its HelmRelease even without post-renderers, as helm-controller does', async () => {
    const out = await postRendererFor({ metadata: { name: 'web', namespace: 'apps' }, spec: { interval: '5m' } })(
      manifest,
    );
    const objects = parseAllDocuments(out).map((d) => d.toJS() as { metadata: { labels?: Record<string, string> } });
    expect(objects).toHaveLength(2);
    for (const o of objects)
      expect(o.metadata.labels).toEqual({
        'helm.toolkit.fluxcd.io/name': 'web',
        'helm.toolkit.fluxcd.io/namespace': 'apps',
      });
    expect(postRenderersDigest({ spec: { interval: '5m', postRenderers: [] } })).toBeUndefined();
  });

  it('spec.commonMetadata labels and annotates the metadata of every object only; origin labels win a clash', async () => {
    const hr: Pick<HelmRelease, 'spec' | 'metadata'> = {
      metadata: { name: 'web', namespace: 'apps' },
      spec: {
        interval: '5m',
        commonMetadata: {
          labels: { team: 'web', 'helm.toolkit.fluxcd.io/name': 'spoofed' },
          annotations: { 'example.com/owner': 'ops' },
        },
      },
    };
    const out = await postRendererFor(hr)(manifest);
    type Obj = {
      kind: string;
      metadata: { labels?: Record<string, string>; annotations?: Record<string, string> };
      spec?: { selector?: unknown; template: { metadata?: { labels?: unknown; annotations?: unknown } } };
    };
    const objects = parseAllDocuments(out).map((d) => d.toJS() as Obj);
    for (const o of objects) {
      expect(o.metadata.labels).toEqual({
        team: 'web',
        'helm.toolkit.fluxcd.io/name': 'web',
        'helm.toolkit.fluxcd.io/namespace': 'apps',
      });
      expect(o.metadata.annotations).toEqual({ 'example.com/owner': 'ops' });
    }
    // Unlike kustomize's commonLabels/commonAnnotations, pod templates and selectors are left alone, as Flux does.
    const deployment = objects.find((o) => o.kind === 'Deployment');
    expect(deployment?.spec?.template.metadata).toBeUndefined();
    expect(deployment?.spec?.selector).toBeUndefined();
    expect(commonMetadataDigest(hr)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(commonMetadataDigest({ spec: { interval: '5m', commonMetadata: {} } })).toBeUndefined();
  });
});
