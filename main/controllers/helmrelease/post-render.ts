import { createHash } from 'node:crypto';

import type { HelmRelease } from '../../flux/helm.ts';
import type { PostRenderer } from '../../helm/index.ts';
import { build, MemoryFs, toYaml, toYamlStream } from '../../kustomize/index.ts';
import type { KubeObject } from '../../util/kube-object.ts';

/**
 * `spec.postRenderers` as helm-controller runs them (`internal/postrender`): each kustomize post-renderer is a
 * kustomization over the rendered manifest (hooks excluded, as Flux does) with its `patches` and `images`, applied in
 * order. The Helm helper calls back with the manifest; our kustomize engine does the rest in memory.
 */

type KustomizePostRenderer = NonNullable<NonNullable<HelmRelease['spec']['postRenderers']>[number]['kustomize']>;

function kustomizeObjects(manifest: string, fields: Record<string, unknown>): KubeObject[] {
  const kustomization = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: ['helm-output.yaml'],
    ...fields,
  };
  const fs = new MemoryFs({ 'helm-output.yaml': manifest, 'kustomization.yaml': toYaml(kustomization) });
  return build(fs, '').objects;
}

function kustomizeManifest(manifest: string, fields: Record<string, unknown>): string {
  if (manifest.trim() === '') return manifest;
  return toYamlStream(kustomizeObjects(manifest, fields));
}

const stepFields = (k: KustomizePostRenderer): Record<string, unknown> => ({
  ...(k.patches?.length ? { patches: k.patches } : {}),
  ...(k.images?.length ? { images: k.images } : {}),
});

/**
 * helm-controller's last post-renderers, always run: `spec.commonMetadata` (labels and annotations on every object's
 * metadata only, never selectors or pod templates), then the origin labels `helm.toolkit.fluxcd.io/name` and
 * `/namespace`, by which `flux`, in-cluster Flux and the graph find what a HelmRelease manages (they win over a
 * common label of the same key, as they are applied last).
 */
function commonMetadata(manifest: string, hr: Pick<HelmRelease, 'spec' | 'metadata'>): string {
  if (manifest.trim() === '') return manifest;
  const labels = {
    ...hr.spec.commonMetadata?.labels,
    'helm.toolkit.fluxcd.io/name': hr.metadata.name ?? '',
    'helm.toolkit.fluxcd.io/namespace': hr.metadata.namespace ?? '',
  };
  const annotations = hr.spec.commonMetadata?.annotations ?? {};
  // kustomize's `labels` without includeSelectors/includeTemplates touches metadata.labels only, like Flux's
  // LabelTransformer; its commonAnnotations would also annotate pod templates, so annotations are set here.
  const objects = kustomizeObjects(manifest, { labels: [{ pairs: labels }] });
  if (Object.keys(annotations).length === 0) return toYamlStream(objects);
  return toYamlStream(
    objects.map((o) => ({
      ...o,
      metadata: { ...o.metadata, annotations: { ...o.metadata.annotations, ...annotations } },
    })),
  );
}

/** The post-renderer for the helper: the HelmRelease's kustomize post-renderers in order, then the common metadata. */
export function postRendererFor(hr: Pick<HelmRelease, 'spec' | 'metadata'>): PostRenderer {
  const steps = (hr.spec.postRenderers ?? []).flatMap((p) => (p.kustomize ? [p.kustomize] : []));
  return (manifest) =>
    commonMetadata(
      steps.reduce((m, k) => kustomizeManifest(m, stepFields(k)), manifest),
      hr,
    );
}

/**
 * `observedPostRenderersDigest`: a sha256 of the post-renderers, so a change of them alone upgrades the release.
 * helm-controller hashes Go's JSON of the same list; ours hashes the JSON as stored, so the values can differ between
 * the two controllers (a takeover then upgrades once).
 */
export function postRenderersDigest(hr: Pick<HelmRelease, 'spec'>): string | undefined {
  const list = hr.spec.postRenderers ?? [];
  if (list.length === 0) return undefined;
  return `sha256:${createHash('sha256').update(JSON.stringify(list)).digest('hex')}`;
}

/**
 * `observedCommonMetadataDigest`: a sha256 of spec.commonMetadata, so a change of it alone upgrades the release (as
 * helm-controller's "common metadata changed"); undefined when it is not set.
 */
export function commonMetadataDigest(hr: Pick<HelmRelease, 'spec'>): string | undefined {
  const m = hr.spec.commonMetadata;
  if (!m || (Object.keys(m.labels ?? {}).length === 0 && Object.keys(m.annotations ?? {}).length === 0))
    return undefined;
  return `sha256:${createHash('sha256').update(JSON.stringify(m)).digest('hex')}`;
}
