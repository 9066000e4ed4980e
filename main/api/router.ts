/**
 * The transport-agnostic router (style guide practice 6): every inbound request, from IPC or the WebSocket, is looked
 * up in the contract, its payload validated against the channel's zod schema, and the handler's result or error
 * returned as a Result. Clients are untrusted: nothing reaches a handler unvalidated, and no thrown error escapes.
 */
import type { z } from 'zod';

import { type RequestChannel, requests, type ResponseOf, type Result } from '../contract/index.ts';
import type { Logger } from '../util/logger.ts';
import { invalidRequest, toEnvelope } from './error-envelope.ts';

export interface RequestContext {
  /** Aborted when the client that asked goes away (window closed, socket dropped) or the app quits. */
  signal: AbortSignal;
  /** Names the client in logs: `ipc:window-1`, `ws:127.0.0.1:53122#4`. */
  client: string;
}

/** One handler per request channel, receiving the validated payload. */
export type Handlers = {
  [C in RequestChannel]: (
    payload: z.output<(typeof requests)[C]['req']>,
    ctx: RequestContext,
  ) => Promise<ResponseOf<C>>;
};

export interface Router {
  invoke(channel: string, payload: unknown, ctx: RequestContext): Promise<Result<unknown>>;
}

function isRequestChannel(channel: string): channel is RequestChannel {
  return Object.hasOwn(requests, channel);
}

export function createRouter(
  handlers: Handlers,
  opts: {
    logger: Logger;
    /** Validate responses too (tests): catches a port that breaks the contract. */ checkResponses?: boolean;
  },
): Router {
  return {
    async invoke(channel, payload, ctx) {
      if (!isRequestChannel(channel)) {
        opts.logger.warn('request on an unknown channel refused', { channel, client: ctx.client });
        return {
          ok: false,
          error: {
            code: 'unknown-channel',
            message: `There is no request channel named "${channel.slice(0, 64)}". The client and main are from different Fluxdeck versions; reload the window.`,
            details: { channel: channel.slice(0, 64) },
          },
        };
      }
      const spec = requests[channel];
      const parsed = spec.req.safeParse(payload);
      if (!parsed.success) {
        opts.logger.warn('invalid request payload refused', { channel, client: ctx.client });
        return { ok: false, error: invalidRequest(channel, parsed.error) };
      }
      try {
        const handler = handlers[channel] as (p: unknown, c: RequestContext) => Promise<unknown>;
        const value = await handler(parsed.data, ctx);
        if (opts.checkResponses) spec.res.parse(value);
        return { ok: true, value };
      } catch (err) {
        const error = toEnvelope(err);
        opts.logger[error.code === 'internal' ? 'error' : 'info'](`request ${channel} failed`, {
          client: ctx.client,
          code: error.code,
          error: err,
        });
        return { ok: false, error };
      }
    },
  };
}
