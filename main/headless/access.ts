/**
 * Who may use `fluxdeck serve`. Any web page the user opens can make the browser talk to 127.0.0.1, so loopback alone
 * protects nothing: every request needs the random start token (from the printed URL, then an HttpOnly cookie, or an
 * `Authorization: Bearer` header for scripts), the Host header must name this server (DNS rebinding), and a
 * WebSocket that comes with an Origin must come from this server's own page.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

import { TOKEN_PARAM } from '../contract/index.ts';

export function generateToken(): string {
  return randomBytes(24).toString('base64url');
}

export function tokensEqual(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The cookie is per port: cookies ignore ports, and another `fluxdeck serve` on this host has its own token. */
export function cookieName(port: number): string {
  return `fluxdeck_${TOKEN_PARAM}_${port}`;
}

/**
 * Every value of the cookie `name`, in header order. Another service on 127.0.0.1 can set a cookie of the same name
 * (cookies ignore ports), so callers must accept any value that matches, not the first one; a value that is not
 * valid %-encoding is skipped (it can only be planted, never ours), never thrown: the request is not yet authenticated.
 */
export function cookiesFrom(headers: IncomingHttpHeaders, name: string): string[] {
  const out: string[] = [];
  for (const part of (headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0 || part.slice(0, eq).trim() !== name) continue;
    try {
      out.push(decodeURIComponent(part.slice(eq + 1).trim()));
    } catch {
      // URIError: malformed %-encoding.
    }
  }
  return out;
}

export function bearerFrom(headers: IncomingHttpHeaders): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(headers.authorization ?? '');
  return m?.[1];
}

export interface AccessPolicy {
  token: string;
  port: number;
  /** Host names this server answers to (loopback names plus the bind host). */
  hosts: string[];
}

/** `host:port` values the Host header may carry. */
export function allowedHostHeaders(policy: AccessPolicy): Set<string> {
  const out = new Set<string>();
  for (const h of policy.hosts) out.add(`${h.includes(':') && !h.startsWith('[') ? `[${h}]` : h}:${policy.port}`);
  return out;
}

export function hostAllowed(headers: IncomingHttpHeaders, policy: AccessPolicy): boolean {
  return headers.host !== undefined && allowedHostHeaders(policy).has(headers.host.toLowerCase());
}

/**
 * A browser always sends Origin on a WebSocket handshake, and it must then be this server's own page. Clients that
 * are not browsers send none; they still need the token like everyone else.
 */
export function originAllowed(headers: IncomingHttpHeaders, policy: AccessPolicy): boolean {
  const origin = headers.origin;
  if (origin === undefined) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  return url.protocol === 'http:' && allowedHostHeaders(policy).has(url.host.toLowerCase());
}

export type Credential = 'query' | 'cookie' | 'bearer';

/** Which valid credential a request carries, if any. */
export function authenticate(
  headers: IncomingHttpHeaders,
  query: URLSearchParams,
  policy: AccessPolicy,
): Credential | undefined {
  if (tokensEqual(bearerFrom(headers), policy.token)) return 'bearer';
  if (tokensEqual(query.get(TOKEN_PARAM) ?? undefined, policy.token)) return 'query';
  if (cookiesFrom(headers, cookieName(policy.port)).some((c) => tokensEqual(c, policy.token))) return 'cookie';
  return undefined;
}
