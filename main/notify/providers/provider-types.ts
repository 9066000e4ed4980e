/**
 * The shapes shared by the provider request builders (provider-request.ts, message-requests.ts,
 * git-status-requests.ts): the request as data, a Provider's settings, and the small checks every builder makes.
 */
import type { NotificationEvent } from '../../flux/events.ts';
import type { ProviderType } from '../../flux/notification.ts';
import { goJson } from './go-json.ts';

export interface ProviderRequest {
  method: 'POST' | 'PUT';
  url: string;
  headers: Record<string, string>;
  body: string;
  /** A second request sent after this one succeeds (PagerDuty's change event after the alert event). */
  then?: ProviderRequest;
}

/** A Provider with its Secret read (`address`, `token`, `username`, `password`, `headers` keys). */
export interface ProviderSettings {
  type: ProviderType;
  address: string;
  channel?: string;
  username?: string;
  token?: string;
  password?: string;
  headers?: Record<string, string>;
  /** Commit-status providers: the status context/name (`commitStatusId`). */
  commitStatus?: string;
  /** The HTTP proxy sends go through (`spec.proxy`, the Secret's `proxy`, `spec.proxySecretRef`). */
  proxy?: string;
}

export class ProviderConfigError extends Error {
  override name = 'ProviderConfigError';
}

export const JSON_HEADERS = { 'Content-Type': 'application/json' } as const;

export function requireUrl(address: string, type: string): URL {
  try {
    return new URL(address);
  } catch (cause) {
    throw new ProviderConfigError(`invalid ${type} address '${address}'`, { cause });
  }
}

/** `<lowercase kind>/<name>.<namespace>`, how chat providers name the object. */
export function objectTitle(event: NotificationEvent): string {
  const o = event.involvedObject;
  return `${o.kind.toLowerCase()}/${o.name}.${o.namespace}`;
}

/** Byte order, as Go's `sort.Strings` and encoding/json's map keys. */
export const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** A map's entries in key order (Go's maps iterate at random; a fixed order keeps bodies comparable). */
export function sortedEntries(m: Record<string, string> | undefined): [string, string][] {
  return Object.entries(m ?? {}).sort(([a], [b]) => byteOrder(a, b));
}

/** A map with its keys in Go's encoding/json order (sorted), for bodies where Flux marshals a map. */
export function goMap<T>(m: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(m).sort(([a], [b]) => byteOrder(a, b)));
}

/** Go's `time.Time.String()` of an RFC 3339 timestamp in UTC: `2006-01-02 15:04:05 +0000 UTC`. */
export function goTimeText(rfc3339: string): string {
  const ms = Date.parse(rfc3339);
  if (Number.isNaN(ms)) return rfc3339;
  const iso = new Date(ms).toISOString();
  const frac = iso.slice(20, 23).replace(/0+$/, '');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${frac ? `.${frac}` : ''} +0000 UTC`;
}

/** Unix seconds of an RFC 3339 timestamp (Go's `Time.Unix()`). */
export function unixSeconds(rfc3339: string): number {
  return Math.floor(Date.parse(rfc3339) / 1000);
}

/** `Basic base64(user:password)`. */
export function basicAuth(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

export function requireToken(s: ProviderSettings): string {
  if (!s.token) throw new ProviderConfigError(`${s.type} token cannot be empty`);
  return s.token;
}

/** The event JSON with the involved object's fields in Go's `corev1.ObjectReference` order. */
export function eventBody(event: NotificationEvent): string {
  const o = event.involvedObject;
  return goJson({
    involvedObject: {
      kind: o.kind,
      namespace: o.namespace,
      name: o.name,
      ...(o.uid ? { uid: o.uid } : {}),
      apiVersion: o.apiVersion,
    },
    severity: event.severity,
    timestamp: event.timestamp,
    message: event.message,
    reason: event.reason,
    ...(event.metadata ? { metadata: event.metadata } : {}),
    reportingController: event.reportingController,
    ...(event.reportingInstance ? { reportingInstance: event.reportingInstance } : {}),
  });
}

/** fatih/camelcase as Flux uses it: `ReconciliationSucceeded` → `reconciliation succeeded`. */
export function describeReason(reason: string): string {
  const words = reason.match(/[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+|[^A-Za-z\d]+/g) ?? [reason];
  return words.join(' ').toLowerCase();
}

/** Flux's parseGitAddress: `scheme://host` (ssh → https) and the repository id without `.git`. */
export function gitAddress(address: string): { host: string; id: string } {
  const scp = /^[\w.-]+@([^:/]+):(.+)$/.exec(address);
  if (scp) return { host: `https://${scp[1] ?? ''}`, id: (scp[2] ?? '').replace(/\.git$/, '') };
  const u = requireUrl(address, 'git');
  const scheme = u.protocol === 'ssh:' ? 'https:' : u.protocol;
  const id = u.pathname.replace(/^\/+/, '').replace(/\.git$/, '');
  return { host: `${scheme}//${u.host}`, id };
}

export function ownerRepo(id: string): [string, string] {
  const parts = id.split('/');
  if (parts.length !== 2 || !parts[0] || !parts[1]) throw new ProviderConfigError(`invalid repository id '${id}'`);
  return [parts[0], parts[1]];
}
