/**
 * The one error envelope every failed request answers with, on IPC and WebSocket alike (style guide practice 7), so
 * the renderer never sees Electron's "Error invoking remote method" and can tell what went wrong and what to do.
 */
import { z } from 'zod';

export const ERROR_CODES = [
  /** The payload did not match the channel's schema; `details.issues` lists where. */
  'invalid-request',
  /** No such request channel. */
  'unknown-channel',
  /** The object or context does not exist. */
  'not-found',
  /** The cluster is not connected: connect it first. */
  'not-connected',
  /** The object is suspended: resume it before reconciling (what `flux reconcile` says too). */
  'suspended',
  /** The cluster refused the credentials (401) or they could not be obtained (exec plugin, expired token). */
  'unauthorized',
  /** RBAC refused the action (403). */
  'forbidden',
  /** A concurrent change won; retrying usually works. */
  'conflict',
  /** Waited too long for the result; the request may still complete in the cluster. */
  'timeout',
  /** The client went away or the app is shutting down. */
  'cancelled',
  /** The engine or the cluster cannot serve the request right now. */
  'unavailable',
  /** A bug: the message says what failed, the log has the rest. */
  'internal',
] as const;

export const ErrorCode = z.enum(ERROR_CODES);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const ErrorEnvelope = z.object({
  code: ErrorCode,
  /** What failed and what to do next, in words a user can act on. */
  message: z.string(),
  /** Structured extras: `issues` for invalid requests, `causes` (messages of the cause chain), the object key. */
  details: z.record(z.string(), z.unknown()).optional(),
});
export type ErrorEnvelope = z.infer<typeof ErrorEnvelope>;

/** What a request resolves to on the wire: a value or the envelope, never a thrown transport error. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: ErrorEnvelope };

export const ResultSchema = z.union([
  z.object({ ok: z.literal(true), value: z.unknown() }),
  z.object({ ok: z.literal(false), error: ErrorEnvelope }),
]);

/**
 * An error that knows its envelope code. The engine throws these for conditions the user can act on (not found,
 * suspended, not connected); anything else becomes `internal`.
 */
export class FluxdeckError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, opts: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'FluxdeckError';
    this.code = code;
    this.details = opts.details;
  }
}

/** The code an arbitrary thrown value carries (a FluxdeckError, or any error with a known `code` property). */
export function codeOf(err: unknown): ErrorCode {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  const parsed = ErrorCode.safeParse(code);
  return parsed.success ? parsed.data : 'internal';
}
