/**
 * Manifests and indexes, OCI and Docker schema 2, parsed from bytes into plain data with their descriptors checked
 * (a registry or a pushed artifact is untrusted input), and platform selection in an index as containerd does it.
 */
import { RegistryError } from './errors.ts';
import { isDigest } from './reference.ts';

export const MediaType = {
  OciManifest: 'application/vnd.oci.image.manifest.v1+json',
  OciIndex: 'application/vnd.oci.image.index.v1+json',
  DockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  DockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  OciEmpty: 'application/vnd.oci.empty.v1+json',
} as const;

/** What a GET of a manifest accepts: every manifest and index type this client can read. */
export const MANIFEST_ACCEPT = [
  MediaType.OciManifest,
  MediaType.OciIndex,
  MediaType.DockerManifest,
  MediaType.DockerManifestList,
].join(', ');

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: Platform;
  artifactType?: string;
}

export interface ImageManifest {
  kind: 'manifest';
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations: Record<string, string>;
  artifactType?: string;
}

export interface ImageIndex {
  kind: 'index';
  mediaType: string;
  manifests: Descriptor[];
  annotations: Record<string, string>;
}

export type Manifest = ImageManifest | ImageIndex;

const isIndexType = (t: string): boolean => t === MediaType.OciIndex || t === MediaType.DockerManifestList;

function bad(why: string): RegistryError {
  return new RegistryError('invalid', `invalid manifest: ${why}`);
}

function record(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(`${what} is not an object`);
  return v as Record<string, unknown>;
}

function annotations(v: unknown): Record<string, string> {
  if (v === undefined || v === null) return {};
  const r = record(v, 'annotations');
  const out: Record<string, string> = {};
  for (const [k, s] of Object.entries(r)) if (typeof s === 'string') out[k] = s;
  return out;
}

export function parseDescriptor(v: unknown, what = 'descriptor'): Descriptor {
  const r = record(v, what);
  if (typeof r.mediaType !== 'string' || r.mediaType === '') throw bad(`${what} has no mediaType`);
  if (typeof r.digest !== 'string' || !isDigest(r.digest)) throw bad(`${what} has an invalid digest`);
  if (typeof r.size !== 'number' || !Number.isSafeInteger(r.size) || r.size < 0)
    throw bad(`${what} has an invalid size`);
  const d: Descriptor = { mediaType: r.mediaType, digest: r.digest, size: r.size };
  if (r.annotations) d.annotations = annotations(r.annotations);
  if (typeof r.artifactType === 'string') d.artifactType = r.artifactType;
  if (r.platform !== undefined) {
    const p = record(r.platform, `${what} platform`);
    if (typeof p.os === 'string' && typeof p.architecture === 'string') {
      d.platform = {
        os: p.os,
        architecture: p.architecture,
        ...(typeof p.variant === 'string' ? { variant: p.variant } : {}),
      };
    }
  }
  return d;
}

/**
 * Parses manifest bytes. The media type comes from the body's `mediaType` when present (OCI makes it optional), else
 * from the Content-Type the registry sent, else from the shape (`manifests` means an index).
 */
export function parseManifest(bytes: Uint8Array, contentType?: string): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw new RegistryError('invalid', 'invalid manifest: not JSON', { cause: err });
  }
  const r = record(json, 'the manifest');
  if (r.schemaVersion !== 2)
    throw new RegistryError('unsupported', `unsupported manifest schemaVersion ${String(r.schemaVersion)}`);
  const ct = contentType?.split(';')[0]?.trim();
  const mediaType =
    typeof r.mediaType === 'string'
      ? r.mediaType
      : ct && ct !== 'application/json'
        ? ct
        : Array.isArray(r.manifests)
          ? MediaType.OciIndex
          : MediaType.OciManifest;
  if (isIndexType(mediaType)) {
    if (!Array.isArray(r.manifests)) throw bad('an index without manifests');
    return {
      kind: 'index',
      mediaType,
      manifests: r.manifests.map((m, i) => parseDescriptor(m, `manifests[${i}]`)),
      annotations: annotations(r.annotations),
    };
  }
  if (mediaType !== MediaType.OciManifest && mediaType !== MediaType.DockerManifest)
    throw new RegistryError('unsupported', `unsupported manifest media type ${mediaType}`);
  if (!Array.isArray(r.layers)) throw bad('a manifest without layers');
  return {
    kind: 'manifest',
    mediaType,
    config: parseDescriptor(r.config, 'config'),
    layers: r.layers.map((l, i) => parseDescriptor(l, `layers[${i}]`)),
    annotations: annotations(r.annotations),
    ...(typeof r.artifactType === 'string' ? { artifactType: r.artifactType } : {}),
  };
}

/**
 * The entry of an index for a platform: os and architecture must match; a wanted variant must match, and without
 * one the entry without variant (or the first) wins. Undefined when none fits.
 */
export function selectPlatform(index: ImageIndex, want: Platform): Descriptor | undefined {
  const fits = index.manifests.filter(
    (m) => m.platform && m.platform.os === want.os && m.platform.architecture === want.architecture,
  );
  if (want.variant) return fits.find((m) => m.platform?.variant === want.variant);
  return fits.find((m) => !m.platform?.variant) ?? fits[0];
}

/** The platform of this process, in OCI terms (`x64` → `amd64`, ...). */
export function hostPlatform(): Platform {
  const arch: Record<string, string> = {
    x64: 'amd64',
    arm64: 'arm64',
    arm: 'arm',
    ia32: '386',
    ppc64: 'ppc64le',
    s390x: 's390x',
  };
  const os = process.platform === 'win32' ? 'windows' : process.platform;
  return { os, architecture: arch[process.arch] ?? process.arch };
}
