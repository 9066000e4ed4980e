/**
 * One error type for everything that goes wrong talking to a cluster. `reason` is the apiserver's Status reason where
 * there is one (NotFound, Conflict, Invalid...), or one of ours for failures before an answer (Unreachable, Aborted,
 * UnknownKind, AuthFailed). Callers branch on `reason`, never on message text.
 */
export type KubeErrorReason =
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Invalid'
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'Gone'
  | 'MethodNotAllowed'
  | 'UnsupportedMediaType'
  | 'TooManyRequests'
  | 'Timeout'
  | 'ServerError'
  | 'Unreachable'
  | 'Aborted'
  | 'UnknownKind'
  | 'AuthFailed'
  | 'Unknown';

/** The `details.causes` of an apiserver Status: which field was rejected and why. */
export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface KubeErrorInit {
  reason: KubeErrorReason;
  /** HTTP status code, when the apiserver answered. */
  status?: number;
  causes?: StatusCause[];
  /** What the user can do about it (shown next to the message in the UI and auth health). */
  hint?: string;
  detail?: string;
  cause?: unknown;
}

export class KubeError extends Error {
  readonly reason: KubeErrorReason;
  readonly status: number | undefined;
  /** The apiserver's own message, without our prefix saying which request it answered. */
  readonly detail: string | undefined;
  readonly causes: StatusCause[];
  readonly hint: string | undefined;

  constructor(message: string, init: KubeErrorInit) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'KubeError';
    this.reason = init.reason;
    this.status = init.status;
    this.causes = init.causes ?? [];
    this.hint = init.hint;
    this.detail = init.detail;
  }
}

export function isKubeError(err: unknown, reason?: KubeErrorReason): err is KubeError {
  return err instanceof KubeError && (reason === undefined || err.reason === reason);
}

export const isNotFound = (err: unknown): boolean => isKubeError(err, 'NotFound');
export const isConflict = (err: unknown): boolean => isKubeError(err, 'Conflict');

const REASON_BY_STATUS: Record<number, KubeErrorReason> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Gone',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  504: 'Timeout',
};

const KNOWN_REASONS = new Set<string>([...Object.values(REASON_BY_STATUS), 'AlreadyExists', 'Expired']);

interface StatusBody {
  kind?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { causes?: StatusCause[] };
}

/**
 * Builds the error for a non-2xx answer. The apiserver's own message is kept verbatim (it names the object and the
 * field), prefixed with what we were doing so a log line says which request failed.
 */
export function errorFromResponse(what: string, status: number, body: string): KubeError {
  let parsed: StatusBody | undefined;
  try {
    const json = JSON.parse(body) as StatusBody;
    if (json.kind === 'Status') parsed = json;
  } catch {
    // Not JSON: a proxy or a load balancer answered. Use the raw text below.
  }
  const apiReason = parsed?.reason;
  let reason: KubeErrorReason =
    apiReason !== undefined && KNOWN_REASONS.has(apiReason)
      ? apiReason === 'Expired'
        ? 'Gone'
        : (apiReason as KubeErrorReason)
      : (REASON_BY_STATUS[status] ?? (status >= 500 ? 'ServerError' : 'Unknown'));
  if (reason === 'Conflict' && apiReason === 'AlreadyExists') reason = 'AlreadyExists';
  const text = parsed?.message ?? (body.trim().slice(0, 300) || `HTTP ${status}`);
  return new KubeError(`${what}: ${text}`, {
    reason,
    status,
    causes: parsed?.details?.causes ?? [],
    hint: hintForStatus(status),
    detail: text,
  });
}

function hintForStatus(status: number): string | undefined {
  if (status === 401)
    return 'the cluster rejected the credentials: the token or certificate may have expired; log in again (for exec plugins, run the same kubectl command in a terminal once)';
  if (status === 403) return 'authenticated, but RBAC does not allow this request for the user or service account';
  return undefined;
}

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EPIPE',
  'UND_ERR_SOCKET',
  'ERR_SOCKET_CLOSED',
]);

/** Maps a network or TLS failure (no HTTP answer) to an Unreachable error with a hint for the user. */
export function errorFromNetwork(what: string, server: string, err: unknown): KubeError {
  const code = (err as { code?: string } | undefined)?.code ?? '';
  const message = err instanceof Error ? err.message : String(err);
  let hint = `check that the cluster at ${server} is running and reachable (VPN, proxy, firewall)`;
  if (
    code.startsWith('CERT_') ||
    code.includes('SELF_SIGNED') ||
    code.startsWith('ERR_TLS') ||
    code.startsWith('UNABLE_TO')
  )
    hint = `TLS verification of ${server} failed (${code}): check certificate-authority and tls-server-name in the kubeconfig`;
  else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    hint = `the host of ${server} does not resolve: check the server address or your DNS/VPN`;
  else if (!UNREACHABLE_CODES.has(code) && code !== '') hint = `${hint} (${code})`;
  return new KubeError(`${what}: cannot reach ${server}: ${message}`, { reason: 'Unreachable', hint, cause: err });
}
