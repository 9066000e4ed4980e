/**
 * Flux's `.status.artifact` (source-controller `meta.Artifact`), as main/sources produces it. Structurally the same
 * as the controllers' API type, so the controller can write it to status as is.
 */
export interface Artifact {
  /** Relative to the storage root: `gitrepository/<namespace>/<name>/<commit>.tar.gz`. */
  path: string;
  url: string;
  /** `main@sha1:<hex>`, `v1.0.0@sha1:<hex>`, `sha1:<hex>`... */
  revision: string;
  /** `sha256:<hex>` of the file. */
  digest: string;
  /** RFC 3339, when the file was written. */
  lastUpdateTime: string;
  size?: number;
  metadata?: Record<string, string>;
}

/** The object an artifact belongs to. */
export interface ArtifactOwner {
  /** Kind, e.g. `GitRepository`; lower-cased in paths as Flux does. */
  kind: string;
  namespace: string;
  name: string;
}

/** Flux's `ArtifactPath`: `<kind-lowercase>/<namespace>/<name>/<file>`. */
export function artifactPath(owner: ArtifactOwner, file: string): string {
  return `${owner.kind.toLowerCase()}/${owner.namespace}/${owner.name}/${file}`;
}

/**
 * Whether an artifact already holds `revision`, tolerating the legacy `<branch>/<sha>` form next to
 * `<branch>@sha1:<sha>` (Flux's `Artifact.HasRevision`).
 */
export function hasRevision(artifact: Pick<Artifact, 'revision'> | undefined, revision: string): boolean {
  if (!artifact) return false;
  if (artifact.revision === revision) return true;
  return normaliseRevision(artifact.revision) === normaliseRevision(revision);
}

function normaliseRevision(rev: string): string {
  const legacy = /^(.+)\/([0-9a-f]{40})$/.exec(rev);
  return legacy ? `${legacy[1]}@sha1:${legacy[2]}` : rev;
}
