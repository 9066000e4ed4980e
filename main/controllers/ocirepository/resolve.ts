import type { OCIRepository } from '../../flux/source.ts';
import { SourceReason } from '../../flux/source.ts';
import {
  credentialsFromDockerConfig,
  parseReference,
  type Reference,
  RegistryClient,
  type RegistryClientOptions,
} from '../../registry/index.ts';
import { parseTagVersion, SemverRange } from '../../sources/git/semver-range.ts';
import type { ResolvedArtifact } from './ports.ts';

/** Largest layer an OCIRepository pulls (the artifact is held in memory while it is unpacked). */
export const MAX_LAYER_BYTES = 256 << 20;

/** A failure with the Flux reason it records (the shared source reconcile reads `reason`). */
export class OciFailure extends Error {
  readonly reason: string;
  constructor(reason: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'OciFailure';
    this.reason = reason;
  }
}

/** `spec.url` (`oci://host/repo`) as a registry reference without tag or digest. */
export function repositoryOf(repo: OCIRepository): Reference {
  const url = repo.spec.url;
  if (!url.startsWith('oci://'))
    throw new OciFailure(SourceReason.URLInvalid, `invalid spec.url '${url}': it must start with oci://`);
  let ref: Reference;
  try {
    ref = parseReference(url.slice('oci://'.length));
  } catch (err) {
    throw new OciFailure(SourceReason.URLInvalid, `invalid spec.url '${url}': ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (ref.tag || ref.digest)
    throw new OciFailure(SourceReason.URLInvalid, `invalid spec.url '${url}': give the tag or digest in spec.ref`);
  return ref;
}

/** A registry client for the repository: the dockerconfigjson Secret's credentials, plain HTTP when `insecure`. */
export function clientFor(
  repo: OCIRepository,
  auth: Record<string, string> | undefined,
  signal: AbortSignal,
): { client: RegistryClient; ref: Reference } {
  const ref = repositoryOf(repo);
  const config = auth?.['.dockerconfigjson'] ?? auth?.['.dockercfg'];
  if (auth && config === undefined)
    throw new OciFailure(
      SourceReason.AuthenticationFailed,
      `secret '${repo.spec.secretRef?.name ?? ''}' has no .dockerconfigjson: create it with kubectl create secret docker-registry`,
    );
  const credentials = config === undefined ? undefined : credentialsFromDockerConfig(config, ref.registry);
  const opts: RegistryClientOptions = {
    signal,
    ...(credentials && { credentials }),
    ...(repo.spec.insecure && { plainHttp: true }),
  };
  return { client: new RegistryClient(ref.registry, opts), ref };
}

/** The highest tag satisfying `range` (and `filter`), as Flux picks it. */
export function pickSemverTag(tags: string[], range: string, filter?: string): string | undefined {
  let constraint: SemverRange;
  try {
    constraint = SemverRange.parse(range);
  } catch (err) {
    throw new OciFailure(SourceReason.URLInvalid, `invalid spec.ref.semver '${range}': ${(err as Error).message}`);
  }
  const re = filter ? new RegExp(filter) : undefined;
  let best: { tag: string; v: NonNullable<ReturnType<typeof parseTagVersion>> } | undefined;
  for (const tag of tags) {
    if (re && !re.test(tag)) continue;
    const v = parseTagVersion(tag);
    if (!v || !constraint.test(v)) continue;
    if (!best || v.compare(best.v) > 0) best = { tag, v };
  }
  return best?.tag;
}

/** `spec.ref` resolved: digest first, then semver over the tags, then the tag (default `latest`). */
export async function resolveRef(
  client: RegistryClient,
  repoName: string,
  repo: OCIRepository,
): Promise<ResolvedArtifact> {
  const ref = repo.spec.ref ?? {};
  if (ref.digest) {
    const desc = await client.resolve(repoName, ref.digest);
    return { revision: desc.digest, digest: desc.digest, describe: `digest '${desc.digest}'`, manifest: undefined };
  }
  let tag = ref.tag ?? 'latest';
  if (ref.semver) {
    const picked = pickSemverTag(await client.tags(repoName), ref.semver, ref.semverFilter);
    if (!picked)
      throw new OciFailure(
        SourceReason.OCIPullFailed,
        `no tag of ${repo.spec.url} matches semver '${ref.semver}'${ref.semverFilter ? ` with filter '${ref.semverFilter}'` : ''}`,
      );
    tag = picked;
  }
  const desc = await client.resolve(repoName, tag);
  return {
    revision: `${tag}@${desc.digest}`,
    digest: desc.digest,
    describe: `'${tag}@${desc.digest}'`,
    manifest: undefined,
  };
}
