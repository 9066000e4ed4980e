/**
 * Scrubbing secrets out of what Fluxdeck writes down or shows: log fields, error text, a plugin's stderr, URLs.
 * Pure and total: it never throws, whatever it is given (cycles, BigInt, getters that throw).
 */

/** Keys whose values are secrets, wherever they appear. */
export const SECRET_KEY =
  /(password|passwd|token|secret|credential|authorization|cookie|private.?key|key-?data|identity|api.?key|access.?key|bearer|dockerconfigjson|\.dockercfg)/i;

export const REDACTED = '[redacted]';
const MAX_DEPTH = 8;

/** Known token shapes, found inside free text (messages, stderr, URLs). */
const TOKEN_SHAPES: [RegExp, string][] = [
  // scheme://user:password@host → scheme://[redacted]@host
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^/\s@]+@/gi, `$1${REDACTED}@`],
  // Authorization header values
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g, `$1 ${REDACTED}`],
  // JWTs (service account tokens, OIDC id-tokens)
  [/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g, REDACTED],
  // GitHub, GitLab and AWS access keys
  [
    /\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_-]{20,}|A(KI|SI)A[A-Z0-9]{16})\b/g,
    REDACTED,
  ],
  // secret-looking query parameters and key=value pairs
  [
    /\b(token|access_token|id_token|refresh_token|password|passwd|secret|api_?key|X-Amz-Signature|X-Amz-Credential|sig)=[^&\s"']+/gi,
    `$1=${REDACTED}`,
  ],
];

/** Free text with credentials in URLs, authorization values and known token shapes replaced. */
export function scrubText(text: string): string {
  let out = text;
  for (const [re, replacement] of TOKEN_SHAPES) out = out.replace(re, replacement);
  return out;
}

/**
 * A URL as it may be shown or stored: no userinfo, no query, no fragment (a kubeconfig's server URL can carry
 * `user:pw@` or `?token=`). Text that is not a URL is scrubbed instead.
 */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = '';
    u.hash = '';
    // URL adds a `/` path to a bare origin; keep the URL as it was written there.
    const written = url.split(/[?#]/)[0] ?? '';
    return u.toString().replace(/\/$/, written.endsWith('/') ? '/' : '');
  } catch {
    return scrubText(url);
  }
}

/** A copy of `value` safe to log: secret keys redacted at any depth, strings scrubbed, cycles and BigInt handled. */
export function redact(value: unknown): unknown {
  return walk(value, 0, new WeakSet());
}

function walk(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'function' || typeof value === 'symbol') return String(value);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[truncated]';
  seen.add(value);
  try {
    if (value instanceof Error) {
      const cause = value.cause === undefined ? {} : { cause: walk(value.cause, depth + 1, seen) };
      return { message: scrubText(value.message), ...cause };
    }
    if (Array.isArray(value)) return walkArray(value, depth, seen);
    return walkObject(value as Record<string, unknown>, depth, seen);
  } catch {
    return '[unreadable]';
  } finally {
    seen.delete(value);
  }
}

function walkArray(value: unknown[], depth: number, seen: WeakSet<object>): unknown[] {
  // Header pairs: [['Authorization', 'Basic …']].
  if (value.length === 2 && typeof value[0] === 'string' && SECRET_KEY.test(value[0])) return [value[0], REDACTED];
  return value.map((v) => walk(v, depth + 1, seen));
}

function walkObject(value: Record<string, unknown>, depth: number, seen: WeakSet<object>): Record<string, unknown> {
  // `{ name, value }` entries (exec plugin `env`, container env): the name says whether the value is a secret.
  const named = typeof value.name === 'string' && 'value' in value && SECRET_KEY.test(value.name);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value))
    out[k] = SECRET_KEY.test(k) || (named && k === 'value') ? REDACTED : walk(v, depth + 1, seen);
  return out;
}
