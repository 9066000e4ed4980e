/**
 * Every failure of the registry client is a RegistryError with a code a controller can map to a condition reason
 * without parsing messages, and the underlying error as `cause`. Messages name the registry and repository, never
 * credentials.
 */
export type RegistryErrorCode =
  /** The reference, a manifest or a descriptor is malformed. */
  | 'invalid'
  /** Manifest, tag, blob or repository does not exist (HTTP 404, MANIFEST_UNKNOWN, NAME_UNKNOWN...). */
  | 'not-found'
  /** No or wrong credentials (HTTP 401, or a token endpoint refusing them). */
  | 'unauthorized'
  /** Credentials accepted but not allowed (HTTP 403, DENIED). */
  | 'denied'
  /** What arrived does not hash to the digest it was asked by. */
  | 'digest-mismatch'
  /** Larger than the caller's limit. */
  | 'too-large'
  /** Connection refused, DNS, TLS, timeout, reset, a refused redirect. */
  | 'unreachable'
  /** Rate limited or a server error after the retries. */
  | 'server'
  /** A media type or manifest shape the caller cannot use. */
  | 'unsupported';

export class RegistryError extends Error {
  override readonly name = 'RegistryError';
  readonly code: RegistryErrorCode;
  /** The HTTP status when the registry answered. */
  readonly status: number | undefined;
  constructor(code: RegistryErrorCode, message: string, opts: { cause?: unknown; status?: number } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.status = opts.status;
  }
}

/** The error codes of the distribution spec's error body (`{"errors":[{"code":"MANIFEST_UNKNOWN",...}]}`). */
export function errorBodySummary(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { errors?: { code?: string; message?: string }[] };
    const parts = (parsed.errors ?? []).map((e) => [e.code, e.message].filter(Boolean).join(': '));
    return parts.length ? parts.join('; ') : undefined;
  } catch {
    return undefined;
  }
}

export function codeForStatus(status: number): RegistryErrorCode {
  if (status === 404) return 'not-found';
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'denied';
  if (status === 413) return 'too-large';
  if (status === 429 || status >= 500) return 'server';
  return 'invalid';
}
