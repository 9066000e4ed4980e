/**
 * Image and artifact references as Docker and the distribution spec write them: `[registry/]repository[:tag][@digest]`.
 * `docker.io` is the default registry (its API lives at registry-1.docker.io) and single-name repositories there are
 * under `library/`. The first path component is a registry when it has a dot or a port, or is `localhost`.
 */
import { RegistryError } from './errors.ts';

export interface Reference {
  /** As written in the reference, defaults applied: `docker.io`, `ghcr.io`, `127.0.0.1:5000`. */
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
}

export const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_API = 'registry-1.docker.io';

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;
const HOST =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::\d{1,5})?$/;

export const isDigest = (s: string): boolean => DIGEST.test(s);
export const isTag = (s: string): boolean => TAG.test(s);

const invalid = (raw: string, why: string): RegistryError =>
  new RegistryError('invalid', `invalid reference '${raw}': ${why}`);

export function parseReference(raw: string): Reference {
  let rest = raw.trim();
  if (rest === '') throw invalid(raw, 'it is empty');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(rest))
    throw invalid(raw, 'give it without a scheme (oci:// is for OCIRepository urls)');
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!isDigest(digest)) throw invalid(raw, `'${digest}' is not a sha256:<64 hex> or sha512:<128 hex> digest`);
  }
  let tag: string | undefined;
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > slash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!isTag(tag)) throw invalid(raw, `'${tag}' is not a valid tag`);
  }
  const parts = rest.split('/');
  let registry = DOCKER_HUB;
  const first = parts[0] ?? '';
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    registry = first;
    parts.shift();
    if (!HOST.test(registry)) throw invalid(raw, `'${registry}' is not a valid registry host`);
  }
  if (registry === 'index.docker.io' || registry === DOCKER_HUB_API) registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && parts.length === 1) parts.unshift('library');
  const bad = parts.find((p) => !COMPONENT.test(p));
  if (bad !== undefined)
    throw invalid(raw, `repository path component '${bad}' must be lower-case letters, digits and separators`);
  const repository = parts.join('/');
  if (repository.length > 255) throw invalid(raw, 'the repository name is longer than 255 characters');
  return { registry, repository, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** The host the API is served from (`docker.io` → `registry-1.docker.io`). */
export function apiHost(registry: string): string {
  return registry === DOCKER_HUB ? DOCKER_HUB_API : registry;
}

/** The reference written back: `registry/repository[:tag][@digest]`. */
export function formatReference(ref: Reference): string {
  return `${ref.registry}/${ref.repository}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}
