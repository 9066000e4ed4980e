/**
 * OCI artifacts from the desktop and the CLI, interchangeable with the flux CLI's `push|pull|tag|diff artifact` and
 * `list artifacts`: the same manifest, media types and annotations (main/registry/flux-artifact.ts), the same default
 * ignore rules, the same credentials (`--creds`, else the Docker config file). `diff` compares files rather than the
 * gzip bytes flux compares, so it says *which* files differ and is not fooled by two gzip implementations.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  contentLayer,
  type Credentials,
  credentialsFromDockerConfig,
  FLUX_CONFIG_BYTES,
  FLUX_CONFIG_MEDIA_TYPE,
  FLUX_CONTENT_MEDIA_TYPE,
  FluxAnnotation,
  fluxArtifactManifest,
  fluxArtifactMeta,
  type ImageManifest,
  MediaType,
  parseReference,
  RegistryClient,
} from '../registry/index.ts';
import { writeArchive } from '../sources/artifacts/archive-writer.ts';
import { readDirectoryTree } from '../sources/artifacts/directory-tree.ts';
import { type MemoryArtifact, unpackArtifact, writeArtifactFiles } from '../sources/artifacts/open-artifact.ts';
import { archiveItems } from '../sources/artifacts/source-tree.ts';
import { parseTagVersion, SemverRange } from '../sources/git/semver-range.ts';

/** `flux push artifact`'s default --ignore-paths. */
export const DEFAULT_IGNORE_PATHS: readonly string[] = [
  '.git/',
  '.gitignore',
  '.gitmodules',
  '.gitattributes',
  '*.jpg',
  '*.jpeg',
  '*.gif',
  '*.png',
  '*.wmv',
  '*.flv',
  '*.tar.gz',
  '*.zip',
];

/** Largest content layer pulled or diffed (it is unpacked in memory). */
const MAX_LAYER_BYTES = 512 << 20;

/** A URL or input the artifact commands cannot use; the message says what to change. */
export class ArtifactError extends Error {
  override readonly name = 'ArtifactError';
}

export interface RegistryAccess {
  /** `<username>[:<password>]`, as flux's `--creds`. */
  creds?: string;
  /** Plain HTTP (flux's `--insecure-registry`). */
  insecure?: boolean;
  /** A Docker config.json with `auths`; default `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`. */
  dockerConfig?: string;
  signal?: AbortSignal;
  /** Counts requests (benchmarks, tests). */
  onRequest?: (method: string, url: string) => void;
}

export interface ArtifactUrl {
  registry: string;
  repository: string;
  /** The tag, or undefined when the URL names a digest or nothing. */
  tag?: string;
  digest?: string;
}

/** `oci://host/repo[:tag|@digest]`; the `oci://` scheme is required, as flux requires it. */
export function parseArtifactUrl(url: string): ArtifactUrl {
  if (!url.startsWith('oci://'))
    throw new ArtifactError(`'${url}' is not an OCI URL: write it as oci://registry/repository[:tag]`);
  let ref;
  try {
    ref = parseReference(url.slice('oci://'.length));
  } catch (err) {
    throw new ArtifactError(`invalid OCI URL '${url}': ${(err as Error).message}`, { cause: err });
  }
  return {
    registry: ref.registry,
    repository: ref.repository,
    ...(ref.tag !== undefined ? { tag: ref.tag } : {}),
    ...(ref.digest !== undefined ? { digest: ref.digest } : {}),
  };
}

const where = (u: ArtifactUrl): string => `${u.registry}/${u.repository}`;
const refOf = (u: ArtifactUrl): string => u.digest ?? u.tag ?? 'latest';

/** The credentials `access` gives for `registry`: `creds` first, else the Docker config file's entry. */
export function credentialsFor(registry: string, access: RegistryAccess): Credentials | undefined {
  if (access.creds !== undefined) {
    const i = access.creds.indexOf(':');
    return i < 0
      ? { kind: 'basic', username: access.creds, password: '' }
      : { kind: 'basic', username: access.creds.slice(0, i), password: access.creds.slice(i + 1) };
  }
  const file = access.dockerConfig ?? join(process.env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'config.json');
  if (!existsSync(file)) return undefined;
  return credentialsFromDockerConfig(readFileSync(file), registry);
}

function clientFor(u: ArtifactUrl, access: RegistryAccess): RegistryClient {
  const credentials = credentialsFor(u.registry, access);
  return new RegistryClient(u.registry, {
    ...(credentials && { credentials }),
    ...(access.insecure && { plainHttp: true }),
    ...(access.signal && { signal: access.signal }),
    ...(access.onRequest && { onRequest: access.onRequest }),
  });
}

async function withClient<T>(
  u: ArtifactUrl,
  access: RegistryAccess,
  use: (c: RegistryClient) => Promise<T>,
): Promise<T> {
  const client = clientFor(u, access);
  try {
    return await use(client);
  } finally {
    client.close();
  }
}

export interface PushInput {
  url: string;
  /** A directory, or one file. */
  path: string;
  source?: string;
  revision?: string;
  annotations?: Readonly<Record<string, string>>;
  /** gitignore-style patterns; default DEFAULT_IGNORE_PATHS. */
  ignorePaths?: readonly string[];
  /** Sets the created annotation to the epoch so the same content gives the same digest. */
  reproducible?: boolean;
  resolveSymlinks?: boolean;
  /** Each step as it starts: `done` of `total` steps are behind it. */
  onProgress?: (step: string, done: number, total: number) => void;
}

const PUSH_STEPS = 3;

export interface PushedArtifact {
  url: string;
  repository: string;
  tag: string;
  digest: string;
  files: number;
  size: number;
}

/** Packs `path` as Flux's content layer and pushes it with Flux's config and annotations. */
export async function pushArtifact(input: PushInput, access: RegistryAccess = {}): Promise<PushedArtifact> {
  const u = parseArtifactUrl(input.url);
  if (u.digest) throw new ArtifactError(`push to a tag, not a digest: ${input.url}`);
  const tag = u.tag ?? 'latest';
  const tmp = await mkdtemp(join(tmpdir(), 'fluxdeck-push-'));
  try {
    input.onProgress?.(`packing ${input.path}`, 0, PUSH_STEPS);
    const layer = await packDirectory(input, join(tmp, 'artifact.tgz'), access.signal);
    const annotations: Record<string, string> = {
      ...input.annotations,
      [FluxAnnotation.created]: input.reproducible ? '1970-01-01T00:00:00Z' : rfc3339Now(),
      ...(input.source !== undefined ? { [FluxAnnotation.source]: input.source } : {}),
      ...(input.revision !== undefined ? { [FluxAnnotation.revision]: input.revision } : {}),
    };
    return await withClient(u, access, async (client) => {
      input.onProgress?.(`uploading ${layer.files} files (${layer.bytes.length} bytes) to ${where(u)}`, 1, PUSH_STEPS);
      const config = await client.pushBlob(u.repository, FLUX_CONFIG_BYTES, { mediaType: FLUX_CONFIG_MEDIA_TYPE });
      const content = await client.pushBlob(u.repository, layer.bytes, { mediaType: FLUX_CONTENT_MEDIA_TYPE });
      input.onProgress?.(`tagging ${where(u)}:${tag}`, 2, PUSH_STEPS);
      const manifest = fluxArtifactManifest(config, content, annotations);
      const digest = await client.putManifest(u.repository, tag, manifest, MediaType.OciManifest);
      return {
        url: `oci://${where(u)}@${digest}`,
        repository: where(u),
        tag,
        digest,
        files: layer.files,
        size: layer.bytes.length,
      };
    });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

async function packDirectory(
  input: PushInput,
  file: string,
  signal: AbortSignal | undefined,
): Promise<{ bytes: Buffer; files: number }> {
  let tree;
  try {
    tree = readDirectoryTree(input.path, { resolveSymlinks: input.resolveSymlinks ?? false });
  } catch (err) {
    throw new ArtifactError(`cannot read ${input.path}: ${(err as Error).message}`, { cause: err });
  }
  const items = archiveItems(tree, (input.ignorePaths ?? DEFAULT_IGNORE_PATHS).join('\n'), {
    sourceIgnoreFiles: false,
  });
  if (!items.some((i) => i.type === 'file'))
    throw new ArtifactError(`no files to push in ${input.path} (after --ignore-paths)`);
  const out = await writeArchive(items, file, signal);
  return { bytes: await readFile(file), files: out.files };
}

function rfc3339Now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

export interface PulledArtifact {
  url: string;
  digest: string;
  source?: string;
  revision?: string;
  files: number;
}

/** Pulls an artifact's content layer (digest-verified) and writes its files under `output`, confined to it. */
export async function pullArtifact(url: string, output: string, access: RegistryAccess = {}): Promise<PulledArtifact> {
  const u = parseArtifactUrl(url);
  const { manifest, digest, files } = await fetchContent(u, access);
  await mkdir(output, { recursive: true });
  const count = await writeArtifactFiles(files, output);
  return { url, digest, ...fluxArtifactMeta(manifest), files: count };
}

async function fetchContent(
  u: ArtifactUrl,
  access: RegistryAccess,
): Promise<{ manifest: ImageManifest; digest: string; files: MemoryArtifact }> {
  return withClient(u, access, async (client) => {
    const fetched = await client.manifest(u.repository, refOf(u));
    const manifest = fetched.manifest;
    if (manifest.kind !== 'manifest')
      throw new ArtifactError(`${where(u)}:${refOf(u)} is an image index, not an artifact: name one manifest`);
    const layer = contentLayer(manifest);
    if (!layer) throw new ArtifactError(`${where(u)}:${refOf(u)} has no layers`);
    const bytes = await client.blobBytes(u.repository, layer, { maxBytes: MAX_LAYER_BYTES });
    const files = await unpackArtifact(bytes, `layer ${layer.digest} of ${where(u)}`);
    return { manifest, digest: fetched.descriptor.digest, files };
  });
}

export interface ListedArtifact {
  url: string;
  tag: string;
  digest: string;
  source?: string;
  revision?: string;
  created?: string;
}

export interface ListFilters {
  /** Keeps tags matching this regular expression. */
  regex?: string;
  /** Keeps tags that are versions in this semver range. */
  semver?: string;
}

/** The repository's tags (cosign `.sig` tags left out, newest name first as flux sorts) with their metadata. */
export async function listArtifacts(
  url: string,
  filters: ListFilters = {},
  access: RegistryAccess = {},
): Promise<ListedArtifact[]> {
  const u = parseArtifactUrl(url);
  if (u.tag || u.digest) throw new ArtifactError(`list takes a repository without tag or digest: ${url}`);
  const keep = tagFilter(filters);
  return withClient(u, access, async (client) => {
    const tags = (await client.tags(u.repository))
      .filter((t) => !t.endsWith('.sig') && keep(t))
      .sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
    return mapLimit(tags, 8, async (tag) => {
      const fetched = await client.manifest(u.repository, tag);
      const meta = fetched.manifest.kind === 'manifest' ? fluxArtifactMeta(fetched.manifest) : {};
      return { url: `oci://${where(u)}:${tag}`, tag, digest: fetched.descriptor.digest, ...meta };
    });
  });
}

function tagFilter(filters: ListFilters): (tag: string) => boolean {
  let re: RegExp | undefined;
  let range: SemverRange | undefined;
  try {
    re = filters.regex !== undefined ? new RegExp(filters.regex) : undefined;
  } catch (err) {
    throw new ArtifactError(`--filter-regex '${filters.regex}': ${(err as Error).message}`, { cause: err });
  }
  try {
    range = filters.semver !== undefined ? SemverRange.parse(filters.semver) : undefined;
  } catch (err) {
    throw new ArtifactError(`--filter-semver '${filters.semver}': ${(err as Error).message}`, { cause: err });
  }
  return (tag) => {
    if (re && !re.test(tag)) return false;
    if (!range) return true;
    const v = parseTagVersion(tag);
    return v !== undefined && range.test(v);
  };
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Points each of `tags` at what `url` names (the manifest is copied byte for byte, so the digest is the same). */
export async function tagArtifact(url: string, tags: readonly string[], access: RegistryAccess = {}): Promise<string> {
  const u = parseArtifactUrl(url);
  if (tags.length === 0) throw new ArtifactError('name at least one tag (--tag)');
  return withClient(u, access, async (client) => {
    let digest = '';
    for (const tag of tags) digest = await client.tag(u.repository, refOf(u), tag);
    return digest;
  });
}

export interface ArtifactDiff {
  /** Files only in the local directory. */
  added: string[];
  /** Files only in the artifact. */
  removed: string[];
  /** Files in both with different content or executable bit. */
  changed: string[];
}

/** Compares the files `path` would be pushed as with the artifact's files. */
export async function diffArtifact(
  url: string,
  path: string,
  opts: { ignorePaths?: readonly string[] } = {},
  access: RegistryAccess = {},
): Promise<ArtifactDiff> {
  const u = parseArtifactUrl(url);
  let tree;
  try {
    tree = readDirectoryTree(path);
  } catch (err) {
    throw new ArtifactError(`cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  const local = new Map<string, { data: Uint8Array; executable: boolean }>();
  for (const item of archiveItems(tree, (opts.ignorePaths ?? DEFAULT_IGNORE_PATHS).join('\n'), {
    sourceIgnoreFiles: false,
  }))
    if (item.type === 'file') local.set(item.path, { data: item.read(), executable: item.executable });
  const remote = (await fetchContent(u, access)).files;
  const diff: ArtifactDiff = { added: [], removed: [], changed: [] };
  for (const [p, f] of local) {
    const r = remote.files.get(p);
    if (r === undefined) diff.added.push(p);
    else if (!Buffer.from(r).equals(f.data) || remote.executables.has(p) !== f.executable) diff.changed.push(p);
  }
  for (const p of remote.files.keys()) if (!local.has(p)) diff.removed.push(p);
  for (const list of Object.values(diff) as string[][]) list.sort();
  return diff;
}
