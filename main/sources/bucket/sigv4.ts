/**
 * AWS Signature Version 4 for S3 requests, written here rather than taken from the AWS SDK: the SDK's S3 client and
 * its signer pull in megabytes of code for what is a few HMACs over a canonical string. Pure (the clock is an
 * argument), so AWS's published test vectors pin it down (test/unit/sources/bucket/sigv4.test.ts).
 *
 * Reference: AWS "Create a signed AWS API request" and the aws-sig-v4-test-suite. S3 differs from other services in
 * two ways that matter here: the path is URI-encoded once, not twice, and every request carries the payload hash in
 * `x-amz-content-sha256`.
 */
import { createHash, createHmac } from 'node:crypto';

export const EMPTY_PAYLOAD_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const ALGORITHM = 'AWS4-HMAC-SHA256';

export interface SigningKeys {
  accessKey: string;
  secretKey: string;
}

export interface SignInput {
  method: string;
  /** The path, not encoded (`/bucket/dir/my file.yaml`). */
  path: string;
  /** Query parameters, not encoded, in any order. */
  query?: [string, string][];
  /** Every header to send and sign (`host` included; names in any case). */
  headers: Record<string, string>;
  /** Hex SHA-256 of the body. */
  payloadHash: string;
  region: string;
  service: string;
  date: Date;
  /** Non-S3 services encode the already encoded path a second time (the test suite's vectors). */
  doubleEncodePath?: boolean;
}

export interface Signed {
  /** The headers to send: the input's, plus `x-amz-date` and `authorization`. */
  headers: Record<string, string>;
  /** The path and query exactly as signed, to put on the request line. */
  requestPath: string;
  canonicalRequest: string;
  stringToSign: string;
  signature: string;
}

/** RFC 3986 encoding as SigV4 wants it: everything but A-Z a-z 0-9 - _ . ~ is %XX (upper-case hex, UTF-8). */
export function uriEncode(s: string, keepSlash = false): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-_.~]/.test(c) || (keepSlash && c === '/')) out += c;
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** `20150830T123600Z` */
export function amzDate(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

const sha256Hex = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');
const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();

export function canonicalQuery(query: [string, string][]): string {
  return query
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

/** Lower-case names, values trimmed with inner runs of spaces collapsed; sorted by name. */
function canonicalHeaders(headers: Record<string, string>): { text: string; signed: string } {
  const byName = new Map<string, string[]>();
  for (const [name, value] of Object.entries(headers)) {
    const n = name.toLowerCase();
    byName.set(n, [...(byName.get(n) ?? []), value.trim().replace(/ +/g, ' ')]);
  }
  const names = [...byName.keys()].sort();
  return {
    text: names.map((n) => `${n}:${(byName.get(n) ?? []).join(',')}\n`).join(''),
    signed: names.join(';'),
  };
}

/** The signing key for a day, region and service: four chained HMACs starting from `AWS4<secret>`. */
export function signingKey(secretKey: string, day: string, region: string, service: string): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secretKey}`, day), region), service), 'aws4_request');
}

export function signRequest(input: SignInput, keys: SigningKeys): Signed {
  const stamp = amzDate(input.date);
  const day = stamp.slice(0, 8);
  const headers = { ...input.headers, 'x-amz-date': stamp };
  const encodedPath = uriEncode(input.path, true);
  const canonicalPath = input.doubleEncodePath ? uriEncode(encodedPath, true) : encodedPath;
  const query = canonicalQuery(input.query ?? []);
  const { text, signed } = canonicalHeaders(headers);
  const canonicalRequest = [input.method, canonicalPath, query, text, signed, input.payloadHash].join('\n');
  const scope = `${day}/${input.region}/${input.service}/aws4_request`;
  const stringToSign = [ALGORITHM, stamp, scope, sha256Hex(canonicalRequest)].join('\n');
  const signature = createHmac('sha256', signingKey(keys.secretKey, day, input.region, input.service))
    .update(stringToSign, 'utf8')
    .digest('hex');
  return {
    headers: {
      ...headers,
      authorization: `${ALGORITHM} Credential=${keys.accessKey}/${scope}, SignedHeaders=${signed}, Signature=${signature}`,
    },
    requestPath: query ? `${encodedPath}?${query}` : encodedPath,
    canonicalRequest,
    stringToSign,
    signature,
  };
}
