/**
 * Frames on the `fluxdeck serve` WebSocket. The socket carries the same requests and events as Electron IPC: a
 * request frame names a channel and an id, the response frame answers that id with a Result, and event frames push.
 */
import { z } from 'zod';

import { ResultSchema } from './errors.ts';

/** Client → server. The channel is checked against the request map by the router, not here. */
export const ClientFrame = z.strictObject({
  type: z.literal('request'),
  id: z.number().int().nonnegative(),
  channel: z.string().max(64),
  payload: z.unknown(),
});
export type ClientFrame = z.infer<typeof ClientFrame>;

export const ServerFrame = z.discriminatedUnion('type', [
  z.object({ type: z.literal('response'), id: z.number().int(), result: ResultSchema }),
  z.object({ type: z.literal('event'), channel: z.string(), payload: z.unknown() }),
]);
export type ServerFrame = z.infer<typeof ServerFrame>;

/** The path of the WebSocket endpoint, relative to the page. */
export const WS_PATH = '/api/ws';
/** The query parameter and cookie name that carry the start token. */
export const TOKEN_PARAM = 'token';

/** The same path as a type, so the renderer (which may import only types) declares it checked against this one. */
export type WsPath = typeof WS_PATH;
