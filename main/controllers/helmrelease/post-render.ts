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

function kustomizeManifest(manifest: string, k: KustomizePostRenderer): string {
  if (manifest.trim() === '') return manifest;
  const kustomization = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: ['helm-output.yaml'],
    ...(k.patches?.length ? { patches: k.patches } : {}),
    ...(k.images?.length ? { images: k.images } : {}),
  };
  const fs = new MemoryFs({ 'helm-output.yaml': manifest, 'kustomization.yaml': toYaml(kustomization) });
  return toYamlStream(build(fs, '').objects);
}

/** The post-renderer for the helper, or undefined when the HelmRelease has none. */
export function postRendererFor(hr: Pick<HelmRelease, 'spec'>): PostRenderer | undefined {
  const steps = (hr.spec.postRenderers ?? []).flatMap((p) => (p.kustomize ? [p.kustomize] : []));
  if (steps.length === 0) return undefined;
  return (manifest) => steps.reduce((m, k) => kustomizeManifest(m, k), manifest);
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
