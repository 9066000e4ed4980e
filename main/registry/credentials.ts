/**
 * Registry credentials and how they are found: `.dockerconfigjson` as Flux reads it (the `auths` entry whose key's
 * host matches the registry; `auth` is base64 `user:password`; `identitytoken` is an OAuth2 refresh token;
 * `registrytoken` a bearer token), and WWW-Authenticate challenges.
 */
import { RegistryError } from './errors.ts';
import { DOCKER_HUB } from './reference.ts';

export type Credentials =
  | { kind: 'basic'; username: string; password: string }
  /** An OAuth2 refresh token, exchanged at the token endpoint (`grant_type=refresh_token`). */
  | { kind: 'identity-token'; token: string }
  /** A bearer token sent as is. */
  | { kind: 'bearer'; token: string };

/** Hosts that mean Docker Hub in a docker config's keys. */
const HUB_KEYS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

function hostOfKey(key: string): string {
  const noScheme = key.replace(/^[a-z]+:\/\//i, '');
  const host = noScheme.split('/')[0] ?? '';
  return HUB_KEYS.has(host) ? DOCKER_HUB : host.toLowerCase();
}

interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
  registrytoken?: string;
}

/**
 * The credentials for `registry` in a `.dockerconfigjson` document, or undefined when it has none for it. Throws
 * RegistryError('invalid') when the document is not a docker config, naming the problem but never its values.
 */
export function credentialsFromDockerConfig(json: string | Uint8Array, registry: string): Credentials | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(typeof json === 'string' ? json : Buffer.from(json).toString('utf8'));
  } catch {
    throw new RegistryError('invalid', 'the .dockerconfigjson is not valid JSON');
  }
  const auths = (doc as { auths?: unknown } | null)?.auths;
  if (typeof auths !== 'object' || auths === null)
    throw new RegistryError('invalid', 'the .dockerconfigjson has no "auths" object');
  const want = hostOfKey(registry);
  for (const [key, raw] of Object.entries(auths as Record<string, unknown>)) {
    if (hostOfKey(key) !== want || typeof raw !== 'object' || raw === null) continue;
    const value = raw as AuthEntry;
    if (value.identitytoken) return { kind: 'identity-token', token: value.identitytoken };
    if (value.registrytoken) return { kind: 'bearer', token: value.registrytoken };
    if (value.username !== undefined && value.password !== undefined)
      return { kind: 'basic', username: value.username, password: value.password };
    if (value.auth) {
      const decoded = Buffer.from(value.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0)
        throw new RegistryError(
          'invalid',
          `the .dockerconfigjson entry for ${key} has an "auth" that is not user:password`,
        );
      return { kind: 'basic', username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
  }
  return undefined;
}

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses `Bearer realm="https://auth",service="reg",scope="repository:a:pull"` (and Basic) per RFC 7235. */
export function parseChallenge(header: string): Challenge | undefined {
  const m = /^\s*([A-Za-z]+)\s*(.*)$/.exec(header);
  if (!m?.[1]) return undefined;
  const params: Record<string, string> = {};
  const re = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g;
  for (const p of (m[2] ?? '').matchAll(re)) {
    const key = p[1];
    if (key) params[key.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : (p[3] ?? '');
  }
  return { scheme: m[1].toLowerCase(), params };
}

export function basicHeader(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}
