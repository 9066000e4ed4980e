/**
 * The shape of an artifact as `flux push artifact` writes it (fluxcd/pkg oci), so that `flux pull artifact`, the
 * in-cluster source-controller and Fluxdeck read each other's artifacts: an OCI image manifest whose config has Flux's
 * config media type and whose one layer is the tar+gzip content, annotated with where it came from.
 */
import type { Descriptor, ImageManifest } from './manifest.ts';
import { MediaType } from './manifest.ts';

export const FLUX_CONFIG_MEDIA_TYPE = 'application/vnd.cncf.flux.config.v1+json';
export const FLUX_CONTENT_MEDIA_TYPE = 'application/vnd.cncf.flux.content.v1.tar+gzip';

/** The annotations Flux reads and writes on an artifact's manifest. */
export const FluxAnnotation = {
  created: 'org.opencontainers.image.created',
  source: 'org.opencontainers.image.source',
  revision: 'org.opencontainers.image.revision',
} as const;

/**
 * The config blob the flux CLI pushes (go-containerregistry's empty image config), byte for byte, so an artifact
 * pushed by either tool from the same content has the same config digest.
 */
export const FLUX_CONFIG_BYTES = Buffer.from(
  '{"architecture":"","created":"0001-01-01T00:00:00Z","os":"","rootfs":{"type":"layers","diff_ids":null},"config":{}}',
);

export interface FluxArtifactMeta {
  source?: string;
  revision?: string;
  created?: string;
}

/** The manifest bytes for a pushed artifact; annotation keys sorted as Go's encoding/json writes a map. */
export function fluxArtifactManifest(
  config: Descriptor,
  layer: Descriptor,
  annotations: Readonly<Record<string, string>>,
): Buffer {
  const sorted = Object.fromEntries(Object.entries(annotations).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const descriptor = (d: Descriptor): Descriptor => ({ mediaType: d.mediaType, size: d.size, digest: d.digest });
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: descriptor(config),
      layers: [descriptor(layer)],
      annotations: sorted,
    }),
  );
}

/** Where an artifact came from, as its manifest's annotations say (what `flux list artifacts` shows). */
export function fluxArtifactMeta(manifest: Pick<ImageManifest, 'annotations'>): FluxArtifactMeta {
  const a = manifest.annotations;
  return {
    ...(a[FluxAnnotation.source] !== undefined ? { source: a[FluxAnnotation.source] } : {}),
    ...(a[FluxAnnotation.revision] !== undefined ? { revision: a[FluxAnnotation.revision] } : {}),
    ...(a[FluxAnnotation.created] !== undefined ? { created: a[FluxAnnotation.created] } : {}),
  };
}

/** The content layer of an artifact: the one with Flux's media type, else the first (as source-controller picks). */
export function contentLayer(manifest: Pick<ImageManifest, 'layers'>): Descriptor | undefined {
  return manifest.layers.find((l) => l.mediaType === FLUX_CONTENT_MEDIA_TYPE) ?? manifest.layers[0];
}
