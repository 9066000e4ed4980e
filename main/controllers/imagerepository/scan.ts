/**
 * Talking to the registry for image scanning: the repository reference and its canonical name, the client with the
 * object's credentials (a `.dockerconfigjson` Secret) and TLS (`certSecretRef`), the paginated tag list, the digest
 * of one tag. Shared by both image controllers and `npm run bench -- images`.
 */
import { ImageReason, type ImageRepository } from '../../flux/image.ts';
import {
  type Credentials,
  credentialsFromDockerConfig,
  DOCKER_HUB,
  parseReference,
  type Reference,
  RegistryClient,
  type RegistryClientOptions,
  RegistryError,
  type TlsOptions,
} from '../../registry/index.ts';

/** A failure with the Flux reason it records on the object. */
export class ImageScanError extends Error {
  readonly reason: string;
  constructor(reason: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ImageScanError';
    this.reason = reason;
  }
}

/** `spec.image` parsed; it names a repository, so a tag or digest in it is refused (Flux's ImageURLInvalid). */
export function imageRepositoryRef(image: string): Reference {
  let ref: Reference;
  try {
    ref = parseReference(image);
  } catch (err) {
    throw new ImageScanError(ImageReason.ImageURLInvalid, (err as Error).message, { cause: err });
  }
  if (ref.tag || ref.digest)
    throw new ImageScanError(
      ImageReason.ImageURLInvalid,
      `invalid image '${image}': give the repository without tag or digest; ImagePolicies choose the tag`,
    );
  return ref;
}

/** go-containerregistry's `Repository.String()`: Docker Hub as `index.docker.io`, other registries as written. */
export function canonicalImageName(ref: Reference): string {
  return `${ref.registry === DOCKER_HUB ? 'index.docker.io' : ref.registry}/${ref.repository}`;
}

export interface RegistryAccess {
  /** The decoded `secretRef` Secret. */
  auth?: Record<string, string> | undefined;
  /** The decoded `certSecretRef` Secret. */
  cert?: Record<string, string> | undefined;
  insecure?: boolean;
  secretName?: string;
  certSecretName?: string;
}

/** `ca.crt`, `tls.crt`/`tls.key` of the certSecretRef, as Flux's TLS config from a Secret. */
function tlsOf(access: RegistryAccess): TlsOptions | undefined {
  const data = access.cert;
  if (!data) return undefined;
  const ca = data['ca.crt'];
  const cert = data['tls.crt'];
  const key = data['tls.key'];
  if (!ca && !(cert && key))
    throw new ImageScanError(
      ImageReason.AuthenticationFailed,
      `certificate secret '${access.certSecretName ?? ''}' does not contain any TLS configuration ('ca.crt', or 'tls.crt' and 'tls.key')`,
    );
  return { ...(ca && { ca }), ...(cert && key && { cert, key }) };
}

function credentialsOf(ref: Reference, access: RegistryAccess): Credentials | undefined {
  if (!access.auth) return undefined;
  const config = access.auth['.dockerconfigjson'] ?? access.auth['.dockercfg'];
  const secret = access.secretName ?? '';
  if (config === undefined)
    throw new ImageScanError(
      ImageReason.AuthenticationFailed,
      `secret '${secret}' has no .dockerconfigjson: create it with kubectl create secret docker-registry`,
    );
  try {
    return credentialsFromDockerConfig(config, ref.registry);
  } catch (err) {
    throw new ImageScanError(ImageReason.AuthenticationFailed, `secret '${secret}': ${(err as Error).message}`, {
      cause: err,
    });
  }
}

export function registryClient(ref: Reference, access: RegistryAccess, signal: AbortSignal): RegistryClient {
  const credentials = credentialsOf(ref, access);
  const tls = tlsOf(access);
  const opts: RegistryClientOptions = {
    signal,
    ...(credentials && { credentials }),
    ...(access.insecure && { plainHttp: true }),
    ...(tls && { tls }),
  };
  return new RegistryClient(ref.registry, opts);
}

/**
 * A registry failure as Flux records it: every failed listing is ReadOperationFailed ("scan failed: ..."), refused
 * credentials included; the message says which (the registry's 401 or 403).
 */
export function scanFailure(err: unknown, what: string): ImageScanError {
  if (err instanceof ImageScanError) return err;
  const hint =
    err instanceof RegistryError && (err.code === 'unauthorized' || err.code === 'denied')
      ? ' (check the credentials of spec.secretRef)'
      : '';
  return new ImageScanError(ImageReason.ReadOperationFailed, `${what}: ${(err as Error).message}${hint}`, {
    cause: err,
  });
}

/** Every tag of the repository, page by page. */
export async function listTags(repo: ImageRepository, access: RegistryAccess, signal: AbortSignal): Promise<string[]> {
  const ref = imageRepositoryRef(repo.spec.image);
  const client = registryClient(ref, { ...access, ...(repo.spec.insecure && { insecure: true }) }, signal);
  try {
    return await client.tags(ref.repository);
  } catch (err) {
    throw scanFailure(err, 'scan failed');
  } finally {
    client.close();
  }
}

/** The manifest digest of `image:tag` (a HEAD request), for ImagePolicy's digest reflection. */
export async function tagDigest(
  repo: ImageRepository,
  tag: string,
  access: RegistryAccess,
  signal: AbortSignal,
): Promise<string> {
  const ref = imageRepositoryRef(repo.spec.image);
  const client = registryClient(ref, { ...access, ...(repo.spec.insecure && { insecure: true }) }, signal);
  try {
    return (await client.resolve(ref.repository, tag)).digest;
  } catch (err) {
    throw scanFailure(err, `failed fetching descriptor for "${repo.spec.image}:${tag}"`);
  } finally {
    client.close();
  }
}
