/**
 * The registry client against the real distribution registry (anonymous, htpasswd, TLS), with crane as the
 * independent client that writes what we read and reads what we write.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  credentialsFromDockerConfig,
  MediaType,
  parseReference,
  RegistryClient,
  RegistryError,
} from '../../../main/registry/index.ts';
import { type RegistryServer, startRegistry } from '../../support/registry.ts';
import { ensureTool } from '../../tools/tools.ts';

const exec = promisify(execFile);
const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

let plain: RegistryServer;
let crane: string;
let work: string;

beforeAll(async () => {
  [plain, crane] = await Promise.all([startRegistry(), ensureTool('crane')]);
  work = await mkdtemp(join(tmpdir(), 'fluxdeck-registry-test-'));
});

afterAll(async () => {
  await plain.stop();
  await rm(work, { recursive: true, force: true });
});

/** Pushes a one-layer OCI artifact with our client; returns the manifest digest. */
async function pushArtifact(client: RegistryClient, repo: string, tag: string, layer: Buffer): Promise<string> {
  const config = Buffer.from('{}');
  const cfg = await client.pushBlob(repo, config, { mediaType: MediaType.OciEmpty });
  const l = await client.pushBlob(repo, layer, {
    mediaType: 'application/vnd.cncf.flux.content.v1.tar+gzip',
    chunkSize: 1024,
  });
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: cfg,
      layers: [l],
      annotations: { a: 'b' },
    }),
  );
  return client.putManifest(repo, tag, manifest, MediaType.OciManifest);
}

describe('registry client against the distribution registry', () => {
  it('pushes monolithic and chunked blobs, a manifest and a tag that crane reads back', async () => {
    const client = new RegistryClient(plain.host, { plainHttp: true });
    const layer = Buffer.alloc(5000, 7);
    const digest = await pushArtifact(client, 'app/config', 'v1', layer);
    expect(await client.tag('app/config', 'v1', 'latest')).toBe(digest);
    const { stdout } = await exec(crane, ['digest', '--insecure', `${plain.host}/app/config:latest`]);
    expect(stdout.trim()).toBe(digest);
    const blob = await exec(crane, ['blob', '--insecure', `${plain.host}/app/config@${sha256(layer)}`], {
      encoding: 'buffer',
    });
    expect(Buffer.compare(blob.stdout, layer)).toBe(0);
    client.close();
  });

  it('reads what crane pushed: resolve with one HEAD, manifest, verified blob stream', async () => {
    const tgz = join(work, 'layer.tar.gz');
    await exec('tar', ['-czf', tgz, '-C', import.meta.dirname, '.']);
    await exec(crane, ['append', '--insecure', '--oci-empty-base', '-f', tgz, '-t', `${plain.host}/from/crane:1.0.0`]);
    const requests: string[] = [];
    const client = new RegistryClient(plain.host, { plainHttp: true, onRequest: (m, u) => requests.push(`${m} ${u}`) });
    const desc = await client.resolve('from/crane', '1.0.0');
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatch(/^HEAD .*\/v2\/from\/crane\/manifests\/1\.0\.0$/);
    const { stdout } = await exec(crane, ['digest', '--insecure', `${plain.host}/from/crane:1.0.0`]);
    expect(desc.digest).toBe(stdout.trim());
    const m = await client.manifest('from/crane', desc.digest);
    if (m.manifest.kind !== 'manifest') throw new Error('expected a manifest');
    const layer = m.manifest.layers.at(-1);
    if (!layer) throw new Error('no layer');
    const bytes = await client.blobBytes('from/crane', layer);
    expect(bytes.length).toBe(layer.size);
    client.close();
  });

  it('lists tags across pages', async () => {
    const client = new RegistryClient(plain.host, { plainHttp: true });
    const digest = await pushArtifact(client, 'paged/tags', 't0', Buffer.from('x'));
    for (let i = 1; i < 7; i++) await client.tag('paged/tags', digest, `t${i}`);
    const requests: string[] = [];
    const counting = new RegistryClient(plain.host, {
      plainHttp: true,
      onRequest: (m, u) => requests.push(`${m} ${u}`),
    });
    expect((await counting.tags('paged/tags', 2)).sort()).toEqual(['t0', 't1', 't2', 't3', 't4', 't5', 't6']);
    expect(requests.length).toBe(4);
    client.close();
    counting.close();
  });

  it('fails with typed errors: unknown tag, unknown repository, size limit, corrupt and truncated blobs', async () => {
    const client = new RegistryClient(plain.host, { plainHttp: true });
    const layer = Buffer.alloc(4096, 1);
    await pushArtifact(client, 'bad/blobs', 'v1', layer);
    await expect(client.resolve('bad/blobs', 'nope')).rejects.toMatchObject({ code: 'not-found', status: 404 });
    await expect(client.manifest('no/such', 'v1')).rejects.toMatchObject({ code: 'not-found' });
    const desc = { digest: sha256(layer), size: layer.length };
    await expect(client.blobBytes('bad/blobs', desc, { maxBytes: 100 })).rejects.toMatchObject({ code: 'too-large' });
    await expect(client.blobBytes('bad/blobs', { digest: desc.digest }, { maxBytes: 100 })).rejects.toMatchObject({
      code: 'too-large',
    });
    const hex = desc.digest.slice(7);
    const file = join(plain.storage, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
    await writeFile(file, Buffer.alloc(4096, 2));
    await expect(client.blobBytes('bad/blobs', desc)).rejects.toMatchObject({
      code: 'digest-mismatch',
      message: expect.stringMatching(/does not match its digest/),
    });
    await truncate(file, 1000);
    await expect(client.blobBytes('bad/blobs', desc)).rejects.toMatchObject({ code: 'digest-mismatch' });
    client.close();
  });

  it('reports an unreachable registry', async () => {
    const client = new RegistryClient('127.0.0.1:1', { plainHttp: true, retries: 0 });
    const err = await client.resolve('a/b', 'v1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect(err).toMatchObject({ code: 'unreachable', message: expect.stringContaining('connection refused') });
  });
});

describe('registry client with htpasswd and TLS', () => {
  let secured: RegistryServer;
  beforeAll(async () => {
    secured = await startRegistry({ htpasswd: true, tls: true });
  });
  afterAll(() => secured.stop());

  it('uses credentials from a .dockerconfigjson and trusts the CA it is given', async () => {
    const auth = Buffer.from(`${secured.username}:${secured.password}`).toString('base64');
    const config = JSON.stringify({ auths: { [`https://${secured.host}`]: { auth } } });
    const credentials = credentialsFromDockerConfig(config, parseReference(`${secured.host}/x/y`).registry);
    expect(credentials?.kind).toBe('basic');
    const client = new RegistryClient(secured.host, {
      tls: { ca: secured.ca! },
      ...(credentials ? { credentials } : {}),
    });
    const digest = await pushArtifact(client, 'x/y', 'v1', Buffer.from('secured'));
    expect((await client.resolve('x/y', 'v1')).digest).toBe(digest);
    client.close();
  });

  it('refuses missing or wrong credentials as unauthorized, and an unknown CA as unreachable', async () => {
    const anon = new RegistryClient(secured.host, { tls: { ca: secured.ca! } });
    await expect(anon.resolve('x/y', 'v1')).rejects.toMatchObject({ code: 'unauthorized', status: 401 });
    const wrong = new RegistryClient(secured.host, {
      tls: { ca: secured.ca! },
      credentials: { kind: 'basic', username: 'docker', password: 'wrong' },
    });
    const err = await wrong.resolve('x/y', 'v1').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'unauthorized' });
    expect((err as Error).message).not.toContain('wrong');
    const untrusted = new RegistryClient(secured.host, { retries: 0 });
    await expect(untrusted.resolve('x/y', 'v1')).rejects.toMatchObject({ code: 'unreachable' });
    const skip = new RegistryClient(secured.host, {
      tls: { skipVerify: true },
      credentials: { kind: 'basic', username: secured.username!, password: secured.password! },
    });
    expect((await skip.resolve('x/y', 'v1')).digest).toMatch(/^sha256:/);
    for (const c of [anon, wrong, untrusted, skip]) c.close();
  });
});
