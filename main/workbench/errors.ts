/**
 * Engine failures mapped onto the error envelope's codes, keeping the engine's message (it says what to do): the
 * first error in the cause chain that says what went wrong decides the code.
 */
import { ERROR_CODES, type ErrorCode, FluxdeckError } from '../contract/index.ts';
import { FluxRequestError } from '../controllers/requests/flux-requests.ts';
import { type HelmErrorCode, isHelmError } from '../helm/index.ts';
import { isKubeError } from '../kube/kube-error.ts';
import { RegistryError, type RegistryErrorCode } from '../registry/index.ts';
import { SourceError, SourceReason } from '../sources/source-error.ts';
import { WorkspaceError, type WorkspaceErrorCode } from '../sources/workspace/index.ts';
import { errorMessage } from '../util/errors.ts';

const KUBE_REASONS: Partial<Record<string, ErrorCode>> = {
  NotFound: 'not-found',
  Forbidden: 'forbidden',
  Unauthorized: 'unauthorized',
  AuthFailed: 'unauthorized',
  Conflict: 'conflict',
  Timeout: 'timeout',
  Unreachable: 'unavailable',
  Aborted: 'cancelled',
};

const REGISTRY_CODES: Partial<Record<RegistryErrorCode, ErrorCode>> = {
  'not-found': 'not-found',
  unauthorized: 'unauthorized',
  denied: 'forbidden',
  unreachable: 'unavailable',
  server: 'unavailable',
  invalid: 'invalid-request',
  'too-large': 'invalid-request',
};

/** The Helm helper's error codes that say what the user can do; the rest (render, chart errors) stay internal. */
const HELM_CODES: Partial<Record<HelmErrorCode, ErrorCode>> = {
  ReleaseNotFound: 'not-found',
  ReleaseLocked: 'conflict',
  Timeout: 'timeout',
  Unauthorized: 'unauthorized',
  Forbidden: 'forbidden',
  KubeUnreachable: 'unavailable',
  HelperUnavailable: 'unavailable',
  Canceled: 'cancelled',
  BadRequest: 'invalid-request',
};

const WORKSPACE_CODES: Record<WorkspaceErrorCode, ErrorCode> = {
  'path-refused': 'invalid-request',
  'not-found': 'not-found',
  auth: 'unauthorized',
  network: 'unavailable',
  'no-identity': 'invalid-request',
  dirty: 'conflict',
  'invalid-argument': 'invalid-request',
  git: 'internal',
};

function ownCode(err: Error): ErrorCode {
  const message = err.message;
  let code: ErrorCode = 'internal';
  if (err instanceof FluxdeckError) code = err.code;
  else if (err instanceof FluxRequestError) {
    code = /is suspended/.test(message)
      ? 'suspended'
      : /not found/.test(message)
        ? 'not-found'
        : /timed out/.test(message)
          ? 'timeout'
          : 'internal';
  } else if (isKubeError(err)) code = KUBE_REASONS[err.reason] ?? 'internal';
  else if (isHelmError(err)) code = HELM_CODES[err.code] ?? 'internal';
  else if (err instanceof WorkspaceError) code = WORKSPACE_CODES[err.code];
  else if (err instanceof RegistryError) code = REGISTRY_CODES[err.code] ?? 'internal';
  else if (err.name === 'ArtifactError') code = 'invalid-request';
  else if (err instanceof SourceError && err.reason === SourceReason.AuthenticationFailed) code = 'unauthorized';
  else if (err.name === 'AbortError') code = 'cancelled';
  return ERROR_CODES.includes(code) ? code : 'internal';
}

/** The code of the first error in the cause chain that says what went wrong. */
export function codeFor(err: unknown): ErrorCode {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 6; e = e.cause, depth++) {
    const code = ownCode(e);
    if (code !== 'internal') return code;
  }
  return 'internal';
}

/** `what: <the engine's message>`, with the envelope code of its cause chain. FluxdeckErrors pass unchanged. */
export function asFluxdeckError(err: unknown, what: string): FluxdeckError {
  if (err instanceof FluxdeckError) return err;
  return new FluxdeckError(codeFor(err), `${what}: ${errorMessage(err)}`, { cause: err });
}
