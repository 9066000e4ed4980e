/**
 * gofakes3 (github.com/johannesboyne/gofakes3, built by test/tools/build.sh): an S3-compatible server that is not
 * MinIO, on a free loopback port with an in-memory backend. gofakes3 itself checks no signatures; started with access
 * keys, the `gofakes3-auth` build puts a check in front of it that re-signs every request with the AWS SDK for Go's
 * own SigV4 signer and answers S3's 403s (InvalidAccessKeyId, SignatureDoesNotMatch) on a mismatch.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';

import { signRequest } from '../../main/sources/bucket/sigv4.ts';
import { ensureTool } from '../tools/tools.ts';
import { freePort, waitFor } from './ports.ts';

export interface S3Server {
  /** `http://127.0.0.1:PORT` */
  endpoint: string;
  host: string;
  stop(): Promise<void>;
}

export interface S3Keys {
  accessKey: string;
  secretKey: string;
}

/** With `tls` (and `keys`), the server speaks HTTPS with that certificate; `alive` then skips verification. */
export async function startS3(
  opts: { bucket?: string; keys?: S3Keys; tls?: { certFile: string; keyFile: string } } = {},
): Promise<S3Server> {
  const bin = await ensureTool(opts.keys ? 'gofakes3-auth' : 'gofakes3');
  const port = await freePort();
  const args = opts.keys
    ? ['-host', `127.0.0.1:${port}`, '-accesskey', opts.keys.accessKey, '-secretkey', opts.keys.secretKey]
    : ['-host', `127.0.0.1:${port}`, '-backend', 'memory', '-quiet'];
  if (opts.bucket) args.push('-initialbucket', opts.bucket);
  if (opts.tls) args.push('-tlscert', opts.tls.certFile, '-tlskey', opts.tls.keyFile);
  const child: ChildProcess = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (log += d));
  const endpoint = `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  try {
    await waitFor('gofakes3', () => alive(endpoint));
  } catch (err) {
    await stop();
    throw new Error(`${String(err)}\n${log}`, { cause: err });
  }
  return { endpoint, host: `127.0.0.1:${port}`, stop };
}

function alive(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const send = url.startsWith('https:') ? httpsRequest : request;
    const req = send(url, { rejectUnauthorized: false }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** A signed path-style request to the server (PUT/DELETE of test objects); resolves with the status. */
export function s3Request(
  server: S3Server,
  keys: S3Keys,
  req: { method: string; path: string; body?: Uint8Array },
): Promise<number> {
  const body = req.body ?? new Uint8Array();
  const payloadHash = createHash('sha256').update(body).digest('hex');
  const signed = signRequest(
    {
      method: req.method,
      path: req.path,
      headers: { host: server.host, 'x-amz-content-sha256': payloadHash },
      payloadHash,
      region: 'us-east-1',
      service: 's3',
      date: new Date(),
    },
    keys,
  );
  return new Promise((resolve, reject) => {
    const r = request(
      `http://${server.host}${signed.requestPath}`,
      { method: req.method, headers: { ...signed.headers, 'content-length': String(body.length) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    r.on('error', reject);
    r.end(Buffer.from(body));
  });
}

export async function putObject(
  server: S3Server,
  keys: S3Keys,
  bucket: string,
  key: string,
  data: string | Uint8Array,
): Promise<void> {
  const body = typeof data === 'string' ? Buffer.from(data) : data;
  const status = await s3Request(server, keys, { method: 'PUT', path: `/${bucket}/${key}`, body });
  if (status !== 200) throw new Error(`PUT ${bucket}/${key}: HTTP ${status}`);
}

export async function deleteObject(server: S3Server, keys: S3Keys, bucket: string, key: string): Promise<void> {
  const status = await s3Request(server, keys, { method: 'DELETE', path: `/${bucket}/${key}` });
  if (status !== 204 && status !== 200) throw new Error(`DELETE ${bucket}/${key}: HTTP ${status}`);
}

/** A plain HTTP proxy in front of the server that records each request line, to see what a client downloaded. */
export { type CountingProxy, countingProxy } from './counting-proxy.ts';
