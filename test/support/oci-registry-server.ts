import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

export interface OciRegistry {
  /** `127.0.0.1:<port>`, for `oci://${host}/...` references (plain HTTP). */
  host: string;
  close(): Promise<void>;
}

function authorized(req: IncomingMessage, basic: { username: string; password: string } | undefined): boolean {
  if (!basic) return true;
  const want = Buffer.from(`Basic ${Buffer.from(`${basic.username}:${basic.password}`).toString('base64')}`);
  const got = Buffer.from(req.headers.authorization ?? '');
  return got.length === want.length && timingSafeEqual(got, want);
}

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const digestOf = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/**
 * A minimal in-memory OCI distribution registry over plain HTTP: enough of the API (monolithic blob uploads,
 * manifests by tag or digest, tag lists, basic auth) for `helm push` and Helm's registry client to pull charts.
 * Not a conformance-tested registry; a real one replaces it when the OCI work brings one to the tests.
 */
export async function startOciRegistry(
  opts: { basic?: { username: string; password: string } } = {},
): Promise<OciRegistry> {
  const blobs = new Map<string, Buffer>();
  const manifests = new Map<string, { type: string; data: Buffer }>(); // `${repo}@${digest}` and `${repo}:${tag}`
  const uploads = new Map<string, Buffer[]>();
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!authorized(req, opts.basic)) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="fluxdeck-oci"' }).end();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (path === '/v2/' || path === '/v2') {
      res.writeHead(200, { 'Docker-Distribution-API-Version': 'registry/2.0' }).end('{}');
      return;
    }
    let m = /^\/v2\/(.+)\/blobs\/uploads\/(.*)$/.exec(path);
    if (m) {
      const [, repo, id] = m;
      if (method === 'POST') {
        const uuid = randomUUID();
        uploads.set(uuid, []);
        res.writeHead(202, { Location: `/v2/${repo}/blobs/uploads/${uuid}`, 'Docker-Upload-UUID': uuid }).end();
        return;
      }
      const parts = uploads.get(id!);
      if (!parts) return void res.writeHead(404).end();
      parts.push(await body(req));
      if (method === 'PATCH') {
        res.writeHead(202, {
          Location: `/v2/${repo}/blobs/uploads/${id}`,
          Range: `0-${Buffer.concat(parts).length - 1}`,
        });
        res.end();
        return;
      }
      const data = Buffer.concat(parts);
      const digest = url.searchParams.get('digest');
      if (digest !== digestOf(data)) return void res.writeHead(400).end('digest mismatch');
      uploads.delete(id!);
      blobs.set(digest, data);
      res.writeHead(201, { Location: `/v2/${repo}/blobs/${digest}`, 'Docker-Content-Digest': digest }).end();
      return;
    }
    m = /^\/v2\/(.+)\/blobs\/(sha256:[a-f0-9]+)$/.exec(path);
    if (m) {
      const data = blobs.get(m[2]!);
      if (!data) return void res.writeHead(404).end();
      res.writeHead(200, { 'Content-Length': data.length, 'Docker-Content-Digest': m[2]! });
      res.end(method === 'HEAD' ? undefined : data);
      return;
    }
    m = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(path);
    if (m) {
      const [, repo, ref] = m;
      const key = ref!.startsWith('sha256:') ? `${repo}@${ref}` : `${repo}:${ref}`;
      if (method === 'PUT') {
        const data = await body(req);
        const type = req.headers['content-type'] ?? 'application/vnd.oci.image.manifest.v1+json';
        const digest = digestOf(data);
        manifests.set(`${repo}@${digest}`, { type, data });
        manifests.set(key, { type, data });
        res.writeHead(201, { 'Docker-Content-Digest': digest, Location: `/v2/${repo}/manifests/${digest}` }).end();
        return;
      }
      const found = manifests.get(key);
      if (!found) return void res.writeHead(404).end('{"errors":[{"code":"MANIFEST_UNKNOWN"}]}');
      res.writeHead(200, {
        'Content-Type': found.type,
        'Content-Length': found.data.length,
        'Docker-Content-Digest': digestOf(found.data),
      });
      res.end(method === 'HEAD' ? undefined : found.data);
      return;
    }
    m = /^\/v2\/(.+)\/tags\/list$/.exec(path);
    if (m) {
      const prefix = `${m[1]}:`;
      const tags = [...manifests.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ name: m[1], tags }));
      return;
    }
    res.writeHead(404).end();
  };
  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.writeHead(500).end());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('oci registry: no TCP address');
  return {
    host: `127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
