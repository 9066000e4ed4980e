/**
 * A small S3 client: exactly what a Bucket source does (does the bucket exist, list it, get objects), signed with
 * SigV4 (./sigv4.ts) over node:http(s) with one keep-alive agent, so thousands of small objects reuse a few sockets.
 * Redirects are not followed: a SigV4 signature covers the host and path, so a redirected request would fail anyway,
 * and S3's own redirects (a bucket in another region) say what to fix in their error body, which we pass on.
 */
import { createHash } from 'node:crypto';
import { Agent as HttpAgent, type IncomingMessage, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

import { largeBodyRequest } from '../../util/http-body.ts';
import { type ListedObject, parseErrorBody, parseListPage } from './s3-xml.ts';
import { EMPTY_PAYLOAD_SHA256, type SigningKeys, signRequest } from './sigv4.ts';

export type S3ErrorCode =
  'auth' | 'bucket-not-found' | 'object-not-found' | 'unreachable' | 'timeout' | 'too-large' | 'changed' | 'protocol';

/** A failed S3 call; `code` says which kind of failure without parsing the message. */
export class S3Error extends Error {
  override readonly name = 'S3Error';
  readonly code: S3ErrorCode;
  readonly status: number | undefined;
  constructor(code: S3ErrorCode, message: string, options?: ErrorOptions & { status?: number }) {
    super(message, options);
    this.code = code;
    this.status = options?.status;
  }
}

export interface S3ClientOptions {
  /** `host[:port]`, without scheme. */
  endpoint: string;
  /** https (default) or plain http (`spec.insecure`). */
  secure: boolean;
  bucket: string;
  region: string;
  /** `path`: `host/bucket/key` (minio-go's choice for non-AWS endpoints); `virtual`: `bucket.host/key` (AWS). */
  addressing: 'path' | 'virtual';
  /** Unsigned (anonymous) requests when absent. */
  keys?: SigningKeys;
  /** PEM CA bundle, and a client certificate and key for mutual TLS (`certSecretRef`). */
  tls?: { ca?: string; cert?: string; key?: string };
  signal?: AbortSignal;
  /** Largest object `getObject` accepts, in bytes. */
  maxObjectBytes: number;
  /** Sockets kept open to the endpoint. */
  maxSockets?: number;
  now?: () => Date;
}

export interface GetExpectation {
  etag?: string;
  size?: number;
}

const AUTH_CODES = new Set([
  'AccessDenied',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'InvalidToken',
  'ExpiredToken',
  'AuthorizationHeaderMalformed',
]);
const CERT_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET']);

export class S3Client {
  private readonly opts: S3ClientOptions;
  private readonly agent: HttpAgent;
  private readonly where: string;

  constructor(opts: S3ClientOptions) {
    this.opts = opts;
    const agentOpts = { keepAlive: true, maxSockets: opts.maxSockets ?? 16 };
    this.agent = opts.secure
      ? new HttpsAgent({ ...agentOpts, ...(opts.tls?.ca && { ca: opts.tls.ca }), ...clientCert(opts.tls) })
      : new HttpAgent(agentOpts);
    this.where = `bucket '${opts.bucket}' at ${opts.secure ? 'https' : 'http'}://${opts.endpoint}`;
  }

  close(): void {
    this.agent.destroy();
  }

  /** HeadBucket: true when it exists, false on 404; credentials and network failures throw. */
  async bucketExists(): Promise<boolean> {
    const res = await this.send('HEAD', undefined, []);
    res.resume();
    const status = res.statusCode ?? 0;
    if (status === 404) return false;
    if (status >= 200 && status < 300) return true;
    throw this.statusError(status, undefined, `HEAD ${this.where}`);
  }

  /** Every object under `prefix`, following ListObjectsV2's continuation tokens. */
  async listObjects(prefix: string | undefined): Promise<ListedObject[]> {
    const out: ListedObject[] = [];
    let token: string | undefined;
    do {
      const query: [string, string][] = [['list-type', '2']];
      if (prefix) query.push(['prefix', prefix]);
      if (token) query.push(['continuation-token', token]);
      const res = await this.send('GET', undefined, query);
      const body = (await readAll(res, 64 << 20)).toString('utf8');
      const status = res.statusCode ?? 0;
      if (status !== 200) throw this.statusError(status, body, `listing ${this.where}`);
      let page;
      try {
        page = parseListPage(body);
      } catch (err) {
        throw new S3Error('protocol', `listing ${this.where}: ${(err as Error).message}`, { cause: err });
      }
      out.push(...page.objects);
      token = page.nextToken;
    } while (token);
    return out;
  }

  /**
   * GetObject, streamed and checked: refused past `maxObjectBytes` (before reading when Content-Length says so), the
   * size and ETag compared with what the listing said, and the MD5 verified where the ETag is one (single-part uploads).
   */
  async getObject(key: string, expect: GetExpectation = {}): Promise<Buffer> {
    const res = await this.send('GET', key, []);
    const status = res.statusCode ?? 0;
    const what = `object '${key}' of ${this.where}`;
    if (status !== 200) throw this.statusError(status, (await readAll(res, 1 << 20)).toString('utf8'), what);
    const max = this.opts.maxObjectBytes;
    const length = Number(res.headers['content-length'] ?? NaN);
    if (length > max) {
      res.destroy();
      throw tooLarge(what, length, max);
    }
    const etag = (res.headers.etag ?? '').replace(/^"+|"+$/g, '');
    if (expect.etag && etag && etag !== expect.etag) {
      res.destroy();
      throw new S3Error('changed', `${what} changed while it was fetched (ETag ${expect.etag} → ${etag})`);
    }
    const data = await readAll(res, max, () => tooLarge(what, undefined, max));
    if (expect.size !== undefined && data.length !== expect.size)
      throw new S3Error('changed', `${what} has ${data.length} bytes; the listing said ${expect.size}`);
    if (/^[0-9a-f]{32}$/.test(etag) && createHash('md5').update(data).digest('hex') !== etag)
      throw new S3Error('protocol', `${what}: the content does not match its ETag (MD5 ${etag})`);
    return data;
  }

  private target(key: string | undefined): { host: string; path: string } {
    const { bucket, endpoint } = this.opts;
    if (this.opts.addressing === 'virtual')
      return { host: `${bucket}.${endpoint}`, path: key === undefined ? '/' : `/${key}` };
    return { host: endpoint, path: key === undefined ? `/${bucket}` : `/${bucket}/${key}` };
  }

  private async send(method: string, key: string | undefined, query: [string, string][]): Promise<IncomingMessage> {
    const { host, path } = this.target(key);
    const headers: Record<string, string> = { host, 'x-amz-content-sha256': EMPTY_PAYLOAD_SHA256 };
    const signed = signRequest(
      {
        method,
        path,
        query,
        headers,
        payloadHash: EMPTY_PAYLOAD_SHA256,
        region: this.opts.region,
        service: 's3',
        date: (this.opts.now ?? (() => new Date()))(),
      },
      this.opts.keys ?? { accessKey: '', secretKey: '' },
    );
    const send = this.opts.keys ? signed.headers : { ...headers };
    const [hostname, port] = splitHost(host);
    const request = this.opts.secure ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = request({
        method,
        hostname,
        ...(port && { port }),
        path: signed.requestPath,
        headers: { ...send, 'user-agent': 'fluxdeck-bucket' },
        agent: this.agent,
        ...largeBodyRequest,
        ...(this.opts.signal && { signal: this.opts.signal }),
      });
      req.on('response', resolve);
      req.on('error', (err) => reject(this.networkError(err, `${method} ${this.where}`)));
      req.end();
    });
  }

  private networkError(err: Error & { code?: string }, what: string): S3Error {
    const signal = this.opts.signal;
    if (signal?.aborted) {
      const reason = signal.reason as Error | undefined;
      const timedOut = reason?.name === 'TimeoutError';
      return new S3Error(timedOut ? 'timeout' : 'unreachable', `${what}: ${timedOut ? 'timed out' : 'cancelled'}`, {
        cause: err,
      });
    }
    const hint =
      err.code && NETWORK_CODES.has(err.code)
        ? ' (is the endpoint right and the server up?)'
        : err.code && CERT_CODES.has(err.code)
          ? " (add the server's CA as 'ca.crt' to a Secret and name it in spec.certSecretRef)"
          : '';
    return new S3Error('unreachable', `${what}: ${err.message}${hint}`, { cause: err });
  }

  private statusError(status: number, body: string | undefined, what: string): S3Error {
    const parsed = body ? parseErrorBody(body) : undefined;
    // HEAD answers carry no body, so a 403 there only says "Forbidden".
    const detail = parsed ? `${parsed.code}: ${parsed.message}` : `HTTP ${status}${status === 403 ? ' Forbidden' : ''}`;
    if ((parsed && AUTH_CODES.has(parsed.code)) || status === 401 || status === 403)
      return new S3Error('auth', `${what}: ${detail}; check the accesskey and secretkey of spec.secretRef`, { status });
    if (parsed?.code === 'NoSuchBucket') return new S3Error('bucket-not-found', `${what}: ${detail}`, { status });
    if (parsed?.code === 'NoSuchKey' || status === 404)
      return new S3Error('object-not-found', `${what}: ${detail}`, { status });
    if (status >= 300 && status < 400)
      return new S3Error(
        'protocol',
        `${what}: ${detail} (the bucket lives elsewhere: check spec.endpoint and spec.region)`,
        {
          status,
        },
      );
    return new S3Error('protocol', `${what}: ${detail}`, { status });
  }
}

function tooLarge(what: string, size: number | undefined, max: number): S3Error {
  return new S3Error(
    'too-large',
    `${what} is ${size === undefined ? 'larger than' : `${size} bytes, over`} the limit of ${max} bytes; exclude it with spec.ignore or .sourceignore`,
  );
}

function clientCert(tls: S3ClientOptions['tls']): { cert?: string; key?: string } {
  return tls?.cert && tls.key ? { cert: tls.cert, key: tls.key } : {};
}

function splitHost(host: string): [string, string | undefined] {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(host);
  if (!m) return [host, undefined];
  return [(m[1] ?? host).replace(/^\[|\]$/g, ''), m[2]];
}

/** The whole body, refusing more than `max` bytes. */
async function readAll(res: IncomingMessage, max: number, over?: () => Error): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) {
      res.destroy();
      throw over ? over() : new S3Error('protocol', `an answer of more than ${max} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
