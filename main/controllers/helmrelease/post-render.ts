import { createHash } from 'node:crypto';

import type { HelmRelease } from '../../flux/helm.ts';
import type { PostRenderer } from '../../helm/index.ts';
import { build, MemoryFs, toYaml, toYamlStream } from '../../kustomize/index.ts';

/**
 * `spec.postRenderers` as helm-controller runs them (`internal/postrender`): each kustomize post-renderer is a
 * kustomization over the rendered manifest (hooks excluded, as Flux does) with its `patches` and `images`, applied in
 * order. The Helm helper calls back with the manifest; our kustomize engine does the rest in memory.
 */

type KustomizePostRenderer = NonNullable<NonNullable<HelmRelease['spec']['postRenderers']>[number]['kustomize']>;

function kustomizeManifest(manifest: string, fields: Record<string, unknown>): string {
  if (manifest.trim() === '') return manifest;
  const kustomization = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: ['helm-output.yaml'],
    ...fields,
  };
  const fs = new MemoryFs({ 'helm-output.yaml': manifest, 'kustomization.yaml': toYaml(kustomization) });
  return toYamlStream(build(fs, '').objects);
}

const stepFields = (k: KustomizePostRenderer): Record<string, unknown> => ({
  ...(k.patches?.length ? { patches: k.patches } : {}),
  ...(k.images?.length ? { images: k.images } : {}),
});

/**
 * helm-controller's last post-renderer, always run: every object of the release carries
 * `helm.toolkit.fluxcd.io/name` and `/namespace` (metadata labels only), which is how `flux`, in-cluster Flux and the
 * graph find what a HelmRelease manages.
 */
const originLabels = (hr: Pick<HelmRelease, 'metadata'>): Record<string, unknown> => ({
  labels: [
    {
      pairs: {
        'helm.toolkit.fluxcd.io/name': hr.metadata.name ?? '',
        'helm.toolkit.fluxcd.io/namespace': hr.metadata.namespace ?? '',
      },
    },
  ],
});

/** The post-renderer for the helper: the HelmRelease's kustomize post-renderers in order, then the origin labels. */
export function postRendererFor(hr: Pick<HelmRelease, 'spec' | 'metadata'>): PostRenderer {
  const steps = (hr.spec.postRenderers ?? []).flatMap((p) => (p.kustomize ? [p.kustomize] : []));
  return (manifest) =>
    kustomizeManifest(
      steps.reduce((m, k) => kustomizeManifest(m, stepFields(k)), manifest),
      originLabels(hr),
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
