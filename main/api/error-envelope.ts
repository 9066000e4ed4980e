import type { z } from 'zod';

import { codeOf, type ErrorEnvelope, FluxdeckError } from '../contract/index.ts';

/** The messages of an error's cause chain (outermost first, at most `max`), so the user sees the root reason. */
export function causeMessages(err: unknown, max = 6): string[] {
  const out: string[] = [];
  let e: unknown = err instanceof Error ? err.cause : undefined;
  while (e !== undefined && e !== null && out.length < max) {
    out.push(e instanceof Error ? e.message : typeof e === 'string' ? e : JSON.stringify(e));
    e = e instanceof Error ? e.cause : undefined;
  }
  return out;
}

/**
 * Serialises anything a handler threw into the envelope. Codes come from FluxdeckError (or a `code` property the
 * engine set); everything else is `internal`, with the message kept so the user can report it.
 */
export function toEnvelope(err: unknown): ErrorEnvelope {
  const code = codeOf(err);
  const message = err instanceof Error ? err.message : `unexpected failure: ${String(err)}`;
  const causes = causeMessages(err);
  const details: Record<string, unknown> = {
    ...(err instanceof FluxdeckError ? err.details : undefined),
    ...(causes.length > 0 && { causes }),
  };
  return { code, message, ...(Object.keys(details).length > 0 && { details }) };
}

/** The envelope for a payload that failed its schema: which fields, and why. */
export function invalidRequest(channel: string, error: z.ZodError): ErrorEnvelope {
  const issues = error.issues.slice(0, 20).map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
  const first = issues[0];
  const where = first ? ` (${first.path || 'payload'}: ${first.message})` : '';
  return {
    code: 'invalid-request',
    message: `The ${channel} request was refused because its payload does not match the contract${where}.`,
    details: { channel, issues },
  };
}
