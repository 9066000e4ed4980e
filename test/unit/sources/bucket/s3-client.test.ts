// The S3 client's checks on what a server sends back, driven by a loopback server that answers crafted responses
// (answers a real S3 server does not give on demand: a body that does not match its ETag, an object that changed
// between listing and download, a redirect, a body longer than announced).
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { S3Client } from '../../../../main/sources/bucket/s3-client.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
let handler: Handler = (_req, res) => res.end();
let server: Server;
let host: string;
const seen: IncomingMessage[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req);
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

function client(maxObjectBytes = 1024): S3Client {
  return new S3Client({
    endpoint: host,
    secure: false,
    bucket: 'b',
    region: 'us-east-1',
    addressing: 'path',
    keys: { accessKey: 'AKID', secretKey: 'very-secret-value' },
    maxObjectBytes,
  });
}

async function get(c: S3Client, key: string, expect_: { etag?: string; size?: number } = {}): Promise<Buffer> {
  try {
    return await c.getObject(key, expect_);
  } finally {
    c.close();
  }
}

describe('S3Client.getObject', () => {
  it('sends a signed path-style GET and returns a body that matches its MD5 ETag', async () => {
    handler = (_req, res) => res.writeHead(200, { etag: `"${md5('hello')}"` }).end('hello');
    const body = await get(client(), 'dir/my file.yaml', { etag: md5('hello'), size: 5 });
    expect(body.toString()).toBe('hello');
    const req = seen.at(-1)!;
    expect(req.url).toBe('/b/dir/my%20file.yaml');
    expect(req.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKID\/\d{8}\/us-east-1\/s3\/aws4_request, /,
    );
    expect(req.headers.authorization).not.toContain('very-secret-value');
    expect(req.headers['x-amz-content-sha256']).toBe(createHash('sha256').update('').digest('hex'));
  });

  it('refuses a body that does not match its MD5 ETag', async () => {
    handler = (_req, res) => res.writeHead(200, { etag: `"${md5('hello')}"` }).end('HELLO');
    await expect(get(client(), 'k')).rejects.toMatchObject({ code: 'protocol', message: /does not match its ETag/ });
  });

  it('says the object changed when its ETag or size differ from the listing', async () => {
    handler = (_req, res) => res.writeHead(200, { etag: '"new"' }).end('abc');
    await expect(get(client(), 'k', { etag: 'old' })).rejects.toMatchObject({ code: 'changed' });
    handler = (_req, res) => res.writeHead(200, { etag: '"multi-2"' }).end('abcd');
    await expect(get(client(), 'k', { etag: 'multi-2', size: 3 })).rejects.toMatchObject({ code: 'changed' });
  });

  it('refuses an object over the limit from Content-Length, and a chunked body that grows past it', async () => {
    handler = (_req, res) => res.writeHead(200, { 'content-length': '5000' }).end('x'.repeat(5000));
    await expect(get(client(1024), 'big')).rejects.toMatchObject({ code: 'too-large', message: /5000 bytes/ });
    handler = (_req, res) => {
      res.writeHead(200, { 'transfer-encoding': 'chunked' });
      for (let i = 0; i < 5; i++) res.write('y'.repeat(500));
      res.end();
    };
    await expect(get(client(1024), 'chunked')).rejects.toMatchObject({ code: 'too-large', message: /larger than/ });
  });

  it('maps S3 error documents and statuses to codes: NoSuchKey, 403, and a redirect it does not follow', async () => {
    handler = (_req, res) =>
      res
        .writeHead(404)
        .end('<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>');
    await expect(get(client(), 'gone')).rejects.toMatchObject({ code: 'object-not-found' });
    handler = (_req, res) =>
      res.writeHead(403).end('<Error><Code>SignatureDoesNotMatch</Code><Message>mismatch</Message></Error>');
    await expect(get(client(), 'k')).rejects.toMatchObject({ code: 'auth', message: /SignatureDoesNotMatch/ });
    handler = (_req, res) =>
      res
        .writeHead(301, { location: 'http://elsewhere.example/b/k' })
        .end('<Error><Code>PermanentRedirect</Code><Message>use the other endpoint</Message></Error>');
    await expect(get(client(), 'k')).rejects.toMatchObject({
      code: 'protocol',
      message: /check spec.endpoint and spec.region/,
    });
  });
});

describe('S3Client.listObjects', () => {
  it('follows continuation tokens and sends the prefix', async () => {
    const pages = [
      '<ListBucketResult><Contents><Key>p/a</Key><ETag>"1"</ETag><Size>1</Size></Contents><IsTruncated>true</IsTruncated><NextContinuationToken>t=1</NextContinuationToken></ListBucketResult>',
      '<ListBucketResult><Contents><Key>p/b</Key><ETag>"2"</ETag><Size>2</Size></Contents><IsTruncated>false</IsTruncated></ListBucketResult>',
    ];
    const urls: string[] = [];
    handler = (req, res) => {
      urls.push(req.url ?? '');
      res.writeHead(200).end(pages[urls.length - 1]);
    };
    const c = client();
    try {
      expect(await c.listObjects('p/')).toEqual([
        { key: 'p/a', etag: '1', size: 1 },
        { key: 'p/b', etag: '2', size: 2 },
      ]);
    } finally {
      c.close();
    }
    expect(urls).toEqual(['/b?list-type=2&prefix=p%2F', '/b?continuation-token=t%3D1&list-type=2&prefix=p%2F']);
  });
});
