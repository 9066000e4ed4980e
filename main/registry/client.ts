/**
 * A client for one registry speaking the OCI distribution spec: resolve and read manifests, stream blobs verified
 * against their digest, list tags page by page, push blobs and manifests, tag. It keeps connections and tokens for
 * its lifetime: make one per reconcile (or per registry and credentials), then close() it.
 */
import type { IncomingMessage } from 'node:http';
import { pipeline } from 'node:stream';

import { DigestVerifier, hashOf } from './digest-stream.ts';
import { RegistryError } from './errors.ts';
import { type Descriptor, type Manifest, MANIFEST_ACCEPT, parseManifest } from './manifest.ts';
import { isDigest } from './reference.ts';
import { readBody, Transport, type TransportOptions } from './transport.ts';

export type RegistryClientOptions = TransportOptions;

/** containerd's limit: manifests are small JSON; anything bigger is a mistake or an attack. */
export const MAX_MANIFEST_BYTES = 4 << 20;
const DEFAULT_CHUNK = 8 << 20;

export interface FetchedManifest {
  /** The manifest's own descriptor: media type, digest of the exact bytes, size. */
  descriptor: Descriptor;
  manifest: Manifest;
  bytes: Buffer;
}

export interface BlobOptions {
  /** Fail with too-large past this many bytes (default: no limit beyond the descriptor's size). */
  maxBytes?: number;
}

const pull = (repo: string): string => `repository:${repo}:pull`;
const push = (repo: string): string => `repository:${repo}:pull,push`;
const enc = (repo: string): string => repo.split('/').map(encodeURIComponent).join('/');

export class RegistryClient {
  readonly registry: string;
  private readonly http: Transport;

  constructor(registry: string, opts: RegistryClientOptions = {}) {
    this.registry = registry;
    this.http = new Transport(registry, opts);
  }

  close(): void {
    this.http.close();
  }

  private where(repo: string, ref?: string): string {
    return `${this.registry}/${repo}${ref ? (isDigest(ref) ? `@${ref}` : `:${ref}`) : ''}`;
  }

  /**
   * The descriptor a tag or digest points to, with one HEAD (what a no-op reconcile costs). Falls back to a GET
   * when the registry sends no Docker-Content-Digest.
   */
  async resolve(repo: string, ref: string): Promise<Descriptor> {
    const res = await this.http.request({
      method: 'HEAD',
      url: `/v2/${enc(repo)}/manifests/${ref}`,
      headers: { accept: MANIFEST_ACCEPT },
      scope: pull(repo),
    });
    res.resume();
    if (res.statusCode !== 200) throw await this.http.failure(res, `manifest ${this.where(repo, ref)}`);
    const digest = header(res, 'docker-content-digest');
    const size = Number(res.headers['content-length']);
    const mediaType = res.headers['content-type']?.split(';')[0]?.trim();
    if (digest && isDigest(digest) && Number.isSafeInteger(size) && mediaType) {
      if (isDigest(ref) && digest !== ref)
        throw new RegistryError('digest-mismatch', `${this.where(repo, ref)}: the registry answered for ${digest}`);
      return { mediaType, digest, size };
    }
    return (await this.manifest(repo, ref)).descriptor;
  }

  /** The manifest or index at a tag or digest, its bytes checked against the digest asked for or announced. */
  async manifest(repo: string, ref: string): Promise<FetchedManifest> {
    const what = `manifest ${this.where(repo, ref)}`;
    const res = await this.http.request({
      method: 'GET',
      url: `/v2/${enc(repo)}/manifests/${ref}`,
      headers: { accept: MANIFEST_ACCEPT },
      scope: pull(repo),
    });
    if (res.statusCode !== 200) throw await this.http.failure(res, what);
    const bytes = await readBody(res, MAX_MANIFEST_BYTES, what);
    const announced = header(res, 'docker-content-digest');
    const expected = isDigest(ref) ? ref : announced && isDigest(announced) ? announced : undefined;
    const digest = hashOf(expected?.startsWith('sha512:') ? 'sha512' : 'sha256', bytes);
    if (expected && digest !== expected)
      throw new RegistryError(
        'digest-mismatch',
        `${what} does not match its digest: expected ${expected}, got ${digest}`,
      );
    const manifest = parseManifest(bytes, res.headers['content-type']);
    return { descriptor: { mediaType: manifest.mediaType, digest, size: bytes.length }, manifest, bytes };
  }

  /** All tags of a repository, following the Link header page by page. */
  async tags(repo: string, pageSize = 1000): Promise<string[]> {
    const out: string[] = [];
    let url: string | undefined = `/v2/${enc(repo)}/tags/list?n=${pageSize}`;
    for (let page = 0; url; page++) {
      if (page > 10_000) throw new RegistryError('server', `tags of ${this.where(repo)}: more than 10000 pages`);
      const res = await this.http.request({ method: 'GET', url, scope: pull(repo) });
      if (res.statusCode !== 200) throw await this.http.failure(res, `tags of ${this.where(repo)}`);
      const body = await readBody(res, 16 << 20, `tags of ${this.where(repo)}`);
      let parsed: { tags?: unknown };
      try {
        parsed = JSON.parse(body.toString('utf8')) as { tags?: unknown };
      } catch (err) {
        throw new RegistryError('invalid', `tags of ${this.where(repo)}: the registry sent no JSON`, { cause: err });
      }
      if (Array.isArray(parsed.tags)) for (const t of parsed.tags) if (typeof t === 'string') out.push(t);
      url = nextLink(header(res, 'link'));
    }
    return out;
  }

  /**
   * A blob's bytes as a stream that fails (digest-mismatch, too-large, unreachable) instead of ending when what
   * arrives is not exactly the blob. Pipe it to a temporary file and keep the file only if the stream ends.
   */
  async blob(
    repo: string,
    desc: Pick<Descriptor, 'digest'> & { size?: number },
    opts: BlobOptions = {},
  ): Promise<NodeJS.ReadableStream & DigestVerifier> {
    const what = `blob ${desc.digest} of ${this.where(repo)}`;
    if (opts.maxBytes !== undefined && desc.size !== undefined && desc.size > opts.maxBytes)
      throw new RegistryError('too-large', `${what} is ${desc.size} bytes, over the limit of ${opts.maxBytes}`);
    const res = await this.http.request({
      method: 'GET',
      url: `/v2/${enc(repo)}/blobs/${desc.digest}`,
      scope: pull(repo),
    });
    if (res.statusCode !== 200) throw await this.http.failure(res, what);
    const verifier = new DigestVerifier({
      digest: desc.digest,
      what,
      ...(desc.size !== undefined ? { size: desc.size } : {}),
      ...(opts.maxBytes !== undefined ? { maxBytes: opts.maxBytes } : {}),
    });
    pipeline(res, verifier, (err) => {
      // A connection cut mid-body ends `res` with an error: the verifier must fail too, not end short.
      if (err && !verifier.destroyed)
        verifier.destroy(
          err instanceof RegistryError
            ? err
            : new RegistryError('unreachable', `${what}: ${err.message}`, { cause: err }),
        );
    });
    return verifier;
  }

  /** A whole blob in memory (configs, small layers), verified. */
  async blobBytes(
    repo: string,
    desc: Pick<Descriptor, 'digest'> & { size?: number },
    opts: BlobOptions = {},
  ): Promise<Buffer> {
    const stream = await this.blob(repo, desc, opts);
    const chunks: Buffer[] = [];
    for await (const c of stream as AsyncIterable<Buffer>) chunks.push(c);
    return Buffer.concat(chunks);
  }

  async hasBlob(repo: string, digest: string, scope = push(repo)): Promise<boolean> {
    const res = await this.http.request({ method: 'HEAD', url: `/v2/${enc(repo)}/blobs/${digest}`, scope });
    res.resume();
    if (res.statusCode === 200) return true;
    if (res.statusCode === 404) return false;
    throw await this.http.failure(res, `blob ${digest} of ${this.where(repo)}`);
  }

  /**
   * Uploads a blob unless the repository has it: one PUT when it fits in `chunkSize` (monolithic), else PATCH
   * chunks with Content-Range and a closing PUT, following the Location the registry gives after each step.
   */
  async pushBlob(
    repo: string,
    data: Buffer,
    opts: { chunkSize?: number; mediaType?: string } = {},
  ): Promise<Descriptor> {
    const digest = hashOf('sha256', data);
    const desc = { mediaType: opts.mediaType ?? 'application/octet-stream', digest, size: data.length };
    if (await this.hasBlob(repo, digest)) return desc;
    const what = `upload of ${digest} to ${this.where(repo)}`;
    const start = await this.http.request({
      method: 'POST',
      url: `/v2/${enc(repo)}/blobs/uploads/`,
      scope: push(repo),
    });
    start.resume();
    if (start.statusCode !== 202) throw await this.http.failure(start, what);
    let location = uploadLocation(start, this.http.base, what);
    const chunk = opts.chunkSize ?? DEFAULT_CHUNK;
    let body: Buffer | undefined = data;
    if (data.length > chunk) {
      for (let offset = 0; offset < data.length; offset += chunk) {
        const part = data.subarray(offset, Math.min(offset + chunk, data.length));
        const res = await this.http.request({
          method: 'PATCH',
          url: location,
          headers: {
            'content-type': 'application/octet-stream',
            'content-range': `${offset}-${offset + part.length - 1}`,
          },
          body: part,
          scope: push(repo),
        });
        res.resume();
        if (res.statusCode !== 202) throw await this.http.failure(res, what);
        location = uploadLocation(res, this.http.base, what);
      }
      body = undefined;
    }
    const url = new URL(location);
    url.searchParams.set('digest', digest);
    const done = await this.http.request({
      method: 'PUT',
      url: url.href,
      headers: { 'content-type': 'application/octet-stream' },
      ...(body ? { body } : {}),
      scope: push(repo),
    });
    done.resume();
    if (done.statusCode !== 201) throw await this.http.failure(done, what);
    return desc;
  }

  /** Puts a manifest under a tag or its digest; returns its digest. */
  async putManifest(repo: string, ref: string, bytes: Buffer, mediaType: string): Promise<string> {
    const digest = hashOf('sha256', bytes);
    if (isDigest(ref) && ref !== digest)
      throw new RegistryError('digest-mismatch', `manifest for ${this.where(repo, ref)} hashes to ${digest}`);
    const res = await this.http.request({
      method: 'PUT',
      url: `/v2/${enc(repo)}/manifests/${ref}`,
      headers: { 'content-type': mediaType },
      body: bytes,
      scope: push(repo),
    });
    res.resume();
    if (res.statusCode !== 201) throw await this.http.failure(res, `manifest ${this.where(repo, ref)}`);
    return digest;
  }

  /** Points `tag` at what `ref` (tag or digest) points to, byte for byte, so the digest stays the same. */
  async tag(repo: string, ref: string, tag: string): Promise<string> {
    const src = await this.manifest(repo, ref);
    return this.putManifest(repo, tag, src.bytes, src.descriptor.mediaType);
  }
}

function header(res: IncomingMessage, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function uploadLocation(res: IncomingMessage, base: URL, what: string): string {
  const loc = header(res, 'location');
  if (!loc) throw new RegistryError('invalid', `${what}: the registry gave no upload location`);
  return new URL(loc, base).href;
}

/** The `rel="next"` target of a Link header (`</v2/x/tags/list?last=a&n=2>; rel="next"`). */
export function nextLink(link: string | undefined): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(',')) {
    const m = /<([^>]*)>\s*;(.*)$/.exec(part.trim());
    if (m && /rel\s*=\s*"?next"?/i.test(m[2] ?? '')) return m[1];
  }
  return undefined;
}
