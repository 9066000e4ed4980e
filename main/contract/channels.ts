/**
 * Every request (`{ req, res }`) and every pushed event (`{ payload }`), declared once. Main's router validates each
 * inbound payload against `req`; the IPC binding, the preload, the WebSocket server and the renderer's transports are
 * all derived from these two maps. Request payloads are strict objects: unknown keys are refused, not ignored.
 */
import { z } from 'zod';

import type { EventChannel, RequestChannel } from './channel-names.ts';
import {
  ActionId,
  ActionOutcome,
  ActionProgress,
  AppCommand,
  Capabilities,
  ClusterInfo,
  ClusterName,
  FluxKey,
  GraphDelta,
  GraphSnapshot,
  HealthSummary,
  KustomizationDiff,
  ObjectDetail,
  ObjectKey,
} from './model.ts';

const none = z.strictObject({});
const cluster = z.strictObject({ cluster: ClusterName });

export const requests = {
  'app:capabilities': { req: none, res: Capabilities },
  'app:health': { req: none, res: HealthSummary },
  'clusters:list': { req: none, res: z.array(ClusterInfo) },
  'clusters:connect': { req: cluster, res: ClusterInfo },
  'clusters:disconnect': { req: cluster, res: ClusterInfo },
  'graph:snapshot': { req: none, res: GraphSnapshot },
  'objects:get': { req: z.strictObject({ key: ObjectKey }), res: ObjectDetail },
  'flux:reconcile': {
    req: z.strictObject({ actionId: ActionId, key: FluxKey, withSource: z.boolean() }),
    res: ActionOutcome,
  },
  'flux:suspend': {
    req: z.strictObject({ actionId: ActionId, key: FluxKey, reason: z.string().max(1024).optional() }),
    res: ActionOutcome,
  },
  'flux:resume': { req: z.strictObject({ actionId: ActionId, key: FluxKey }), res: ActionOutcome },
  'flux:diff': {
    req: z.strictObject({ key: FluxKey.extend({ kind: z.literal('Kustomization') }) }),
    res: KustomizationDiff,
  },
  'engine:setPaused': { req: z.strictObject({ paused: z.boolean() }), res: HealthSummary },
} as const satisfies Record<RequestChannel, { req: z.ZodType; res: z.ZodType }>;

export const events = {
  'graph:onDelta': { payload: GraphDelta },
  'clusters:onChanged': { payload: z.array(ClusterInfo) },
  'actions:onProgress': { payload: ActionProgress },
  'app:onHealth': { payload: HealthSummary },
  'app:onCommand': { payload: AppCommand },
} as const satisfies Record<EventChannel, { payload: z.ZodType }>;

export type RequestOf<C extends RequestChannel> = z.input<(typeof requests)[C]['req']>;
export type ResponseOf<C extends RequestChannel> = z.output<(typeof requests)[C]['res']>;
export type EventOf<E extends EventChannel> = z.output<(typeof events)[E]['payload']>;
