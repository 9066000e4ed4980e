/**
 * The one redirect rule every outbound HTTP client of Fluxdeck follows (git fetch and push, the OCI registry client,
 * buckets, Helm repositories, webhooks). Pure: it takes the request as it was and the answer's status and Location,
 * and says what the next request is, or why there is none.
 *
 * - Credentials (Authorization, Proxy-Authorization, Cookie, userinfo in the URL) are sent only to the origin the
 *   caller gave them for. A redirect that changes scheme, host or port drops them, as Go's net/http does for Flux
 *   (issue 13 item 2: a 302 to another port used to receive the user's Basic credentials). Once dropped they stay
 *   dropped for the rest of the chain, even if a later hop comes back: the caller can retry with them explicitly.
 * - https → http is refused outright: whatever the request carries (a body, a token in the path) would go in clear.
 * - At most MAX_REDIRECTS hops, so a loop ends with a clear error instead of spinning.
 * - 301/302 turn a POST into a GET without body and 303 turns anything but HEAD into GET, as browsers and Go do;
 *   307/308 keep method and body.
 */

export const MAX_REDIRECTS = 10;

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** Header names (lower case) that carry credentials and must not cross an origin. */
const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'cookie2']);

export type RedirectRefusal = 'downgrade' | 'too-many' | 'bad-location';

/** A redirect the rule refuses to follow. `code` tells callers apart without parsing the message. */
export class RedirectError extends Error {
  override readonly name = 'RedirectError';
  readonly code: RedirectRefusal;
  constructor(code: RedirectRefusal, message: string) {
    super(message);
    this.code = code;
  }
}

export interface RedirectRequest {
  url: URL;
  method: string;
  headers: Record<string, string>;
  /** Whether credentials are still allowed on this request (false once a hop crossed an origin). */
  credentials: boolean;
}

export interface NextRequest extends RedirectRequest {
  /** The body of the original request is sent again (307/308) or dropped (the method became GET). */
  keepBody: boolean;
}

export const isRedirect = (status: number): boolean => REDIRECT_STATUSES.has(status);

/** Scheme, host and port (default ports normalised by URL) are the same. */
export function sameOrigin(a: URL, b: URL): boolean {
  return a.protocol === b.protocol && a.hostname.toLowerCase() === b.hostname.toLowerCase() && a.port === b.port;
}

/** A URL without userinfo, for messages and for requests that must not carry it. */
export function withoutUserinfo(url: URL): URL {
  const out = new URL(url.href);
  out.username = '';
  out.password = '';
  return out;
}

/** The headers without those that carry credentials. */
export function withoutCredentials(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (!CREDENTIAL_HEADERS.has(k.toLowerCase())) out[k] = v;
  return out;
}

/** Where a redirect leads, or RedirectError when it must not be followed (no location, a downgrade, too many). */
function redirectTarget(prev: RedirectRequest, status: number, location: string | undefined, hops: number): URL {
  const from = withoutUserinfo(prev.url).href;
  if (!location) throw new RedirectError('bad-location', `${from} answered HTTP ${status} without a Location`);
  let target: URL;
  try {
    target = new URL(location, prev.url);
  } catch {
    throw new RedirectError('bad-location', `${from} redirected to an invalid location`);
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:')
    throw new RedirectError('bad-location', `${from} redirected to a ${target.protocol} URL, which is not followed`);
  if (hops >= MAX_REDIRECTS)
    throw new RedirectError('too-many', `stopped after ${MAX_REDIRECTS} redirects (last from ${from})`);
  if (prev.url.protocol === 'https:' && target.protocol === 'http:') {
    throw new RedirectError(
      'downgrade',
      `${from} redirected to ${withoutUserinfo(target).href}: a redirect from https to http is refused`,
    );
  }
  return target;
}

/**
 * The request to send after `status` with `location`, given the one that got it and how many redirects were already
 * followed (`hops`, 0 for the first redirect). Throws RedirectError when the redirect must not be followed.
 */
export function nextRequest(
  prev: RedirectRequest,
  status: number,
  location: string | undefined,
  hops: number,
): NextRequest {
  let target = redirectTarget(prev, status, location, hops);
  const credentials = prev.credentials && sameOrigin(prev.url, target);
  if (!credentials) target = withoutUserinfo(target);
  else if (!target.username && !target.password && sameOrigin(prev.url, target)) {
    // Same origin: userinfo given by the caller keeps applying, as it did for the first request.
    target.username = prev.url.username;
    target.password = prev.url.password;
  }
  const toGet =
    (status === 303 && prev.method !== 'HEAD') || ((status === 301 || status === 302) && prev.method === 'POST');
  const method = toGet ? 'GET' : prev.method;
  let headers = credentials ? { ...prev.headers } : withoutCredentials(prev.headers);
  if (toGet) {
    headers = Object.fromEntries(Object.entries(headers).filter(([k]) => !/^content-(type|length|encoding)$/i.test(k)));
  }
  return { url: target, method, headers, credentials, keepBody: !toGet };
}
