/**
 * Every request (`{ req, res }`) and every pushed event (`{ payload }`), declared once. Main's router validates each
 * inbound payload against `req`; the IPC binding, the preload, the WebSocket server and the renderer's transports are
 * all derived from these two maps. Request payloads are strict objects: unknown keys are refused, not ignored.
 */
import { z } from 'zod';

import { BootstrapProgress, bootstrapRequests } from './bootstrap.ts';
import type { EventChannel, RequestChannel } from './channel-names.ts';
import {
  AbortResult,
  ApplyObjectResult,
  ArtifactPushProgress,
  ArtifactPushRequest,
  ArtifactPushResult,
  CommitResult,
  EditableObject,
  GitAuthor,
  GitCredentials,
  GitRepositoryKey,
  KindSchema,
  PreviewProgress,
  PushResult,
  ReapplyResult,
  WorkTree,
  WorkTreeId,
  WorkTreePath,
  WorkTreePreview,
  WorkTreeStatus,
  YamlProblem,
} from './editing.ts';
import { helmRequests } from './helm.ts';
import { imageRequests } from './images.ts';
import { DriftRecord, InboxDelta, InboxFilter, InboxPage, InboxState, MuteRule, MuteScope } from './inbox.ts';
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
import { notificationRequests } from './notifications.ts';
import { statsRequests } from './stats.ts';

const none = z.strictObject({});
const cluster = z.strictObject({ cluster: ClusterName });
const workTree = z.strictObject({ id: WorkTreeId });
const itemIds = z.array(z.number().int().nonnegative()).min(1).max(1000);
const changed = z.object({ changed: z.number().int() });
/** A file's text: bounded so one request cannot hold main's memory hostage (5 MiB; manifests are far smaller). */
const FileText = z.string().max(5 * 1024 * 1024);

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

  'inbox:list': { req: z.strictObject({ filter: InboxFilter }), res: InboxPage },
  'inbox:state': { req: none, res: InboxState },
  'inbox:markRead': {
    req: z.strictObject({ ids: z.union([itemIds, z.literal('all')]), read: z.boolean() }),
    res: changed,
  },
  'inbox:acknowledge': { req: z.strictObject({ ids: itemIds, acknowledged: z.boolean() }), res: changed },
  'inbox:mute': { req: z.strictObject({ scope: MuteScope }), res: MuteRule },
  'inbox:unmute': {
    req: z.strictObject({ id: z.number().int().nonnegative() }),
    res: z.object({ removed: z.boolean() }),
  },
  /** The notice was shown: do not give it to the next client. */
  'inbox:dismissNotice': { req: none, res: none },
  /** The corrected drifts of one object (a workload, or what a Kustomization put back), newest first. */
  'inbox:drift': { req: z.strictObject({ key: ObjectKey }), res: z.array(DriftRecord) },

  /** Opens (cloning on first use) the work tree of a GitRepository's URL and branch. */
  'workspace:open': { req: z.strictObject({ repo: GitRepositoryKey }), res: WorkTree },
  'workspace:read': {
    req: z.strictObject({ id: WorkTreeId, path: WorkTreePath }),
    res: z.object({ path: z.string(), text: z.string() }),
  },
  'workspace:write': {
    req: z.strictObject({ id: WorkTreeId, path: WorkTreePath, text: FileText }),
    res: WorkTreeStatus,
  },
  'workspace:status': { req: workTree, res: WorkTreeStatus },
  'workspace:validate': { req: workTree, res: z.array(YamlProblem) },
  /** Builds the affected Kustomizations from the work tree and dry-runs them; progress on `onPreviewProgress`. */
  'workspace:preview': { req: z.strictObject({ id: WorkTreeId, previewId: ActionId }), res: WorkTreePreview },
  'workspace:commit': {
    req: z.strictObject({
      id: WorkTreeId,
      message: z
        .string()
        .trim()
        .min(1)
        .max(64 * 1024),
      author: GitAuthor.optional(),
    }),
    res: CommitResult,
  },
  /** Never forced. */
  'workspace:push': { req: workTree, res: PushResult },
  'workspace:reapply': { req: z.strictObject({ id: WorkTreeId, keepMine: z.boolean() }), res: ReapplyResult },
  'workspace:abort': { req: workTree, res: AbortResult },
  /** Credentials the user typed for this repository; `remember` keeps them in the OS keychain where there is one. */
  'workspace:setCredentials': {
    req: z.strictObject({ id: WorkTreeId, credentials: GitCredentials, remember: z.boolean() }),
    res: WorkTree,
  },
  'workspace:forgetCredentials': { req: workTree, res: WorkTree },
  /** Packs a directory of the work tree as a Flux OCI artifact and pushes it; steps on `onArtifactProgress`. */
  'workspace:pushArtifact': { req: ArtifactPushRequest, res: ArtifactPushResult },

  'objects:editable': { req: z.strictObject({ key: FluxKey }), res: EditableObject },
  /**
   * Applies an edited Flux object the way Flux's docs tell people to edit one: a merge patch with the field manager
   * `flux-client-side-apply`, refused (`conflict`) if the object changed since `resourceVersion`.
   */
  'objects:apply': {
    req: z.strictObject({ key: FluxKey, yaml: FileText, resourceVersion: z.string().min(1).max(64) }),
    res: ApplyObjectResult,
  },
  'schemas:get': {
    req: z.strictObject({
      cluster: ClusterName,
      apiVersion: z.string().min(1).max(317),
      kind: z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,62}$/),
    }),
    res: KindSchema,
  },
  ...helmRequests,
  ...imageRequests,
  ...statsRequests,
  ...notificationRequests,
  ...bootstrapRequests,
} as const satisfies Record<RequestChannel, { req: z.ZodType; res: z.ZodType }>;

export const events = {
  'graph:onDelta': { payload: GraphDelta },
  'clusters:onChanged': { payload: z.array(ClusterInfo) },
  'actions:onProgress': { payload: ActionProgress },
  'app:onHealth': { payload: HealthSummary },
  'app:onCommand': { payload: AppCommand },
  'inbox:onChanged': { payload: InboxDelta },
  'workspace:onPreviewProgress': { payload: PreviewProgress },
  'workspace:onArtifactProgress': { payload: ArtifactPushProgress },
  'bootstrap:onProgress': { payload: BootstrapProgress },
} as const satisfies Record<EventChannel, { payload: z.ZodType }>;

export type RequestOf<C extends RequestChannel> = z.input<(typeof requests)[C]['req']>;
export type ResponseOf<C extends RequestChannel> = z.output<(typeof requests)[C]['res']>;
export type EventOf<E extends EventChannel> = z.output<(typeof events)[E]['payload']>;
