/**
 * The names of every request and pushed event between main and the renderer, and nothing else. This module has no
 * imports so the sandboxed preload can build `window.fluxdeck` from it without bundling zod or the schemas
 * (style guide practice 3). channels.ts pairs each name with its schemas and fails to compile if one is missing.
 *
 * Requests are `domain:verb`; pushed events are `domain:onEvent`.
 */
export const requestChannels = [
  'app:capabilities',
  'app:health',
  'clusters:list',
  'clusters:connect',
  'clusters:disconnect',
  'graph:snapshot',
  'objects:get',
  'flux:reconcile',
  'flux:suspend',
  'flux:resume',
  'flux:diff',
  'engine:setPaused',
  'engine:stats',
  'inbox:list',
  'inbox:state',
  'inbox:markRead',
  'inbox:acknowledge',
  'inbox:mute',
  'inbox:unmute',
  'inbox:dismissNotice',
  'inbox:drift',
  'workspace:open',
  'workspace:read',
  'workspace:write',
  'workspace:status',
  'workspace:validate',
  'workspace:preview',
  'workspace:commit',
  'workspace:push',
  'workspace:reapply',
  'workspace:abort',
  'workspace:setCredentials',
  'workspace:forgetCredentials',
  'workspace:pushArtifact',
  'objects:editable',
  'objects:apply',
  'schemas:get',
  'helm:release',
  'helm:rollbackPreview',
  'helm:forceUpgrade',
  'helm:reset',
  'helm:test',
  'helm:rollback',
  'helm:uninstall',
  'images:policy',
  'images:automation',
  'images:preview',
  'images:fleet',
  'notifications:overview',
  'notifications:sendTest',
  'notifications:setSettings',
  'bootstrap:start',
  'bootstrap:cancel',
] as const;

export const eventChannels = [
  'graph:onDelta',
  'clusters:onChanged',
  'actions:onProgress',
  'app:onHealth',
  'app:onCommand',
  'inbox:onChanged',
  'workspace:onPreviewProgress',
  'workspace:onArtifactProgress',
  'bootstrap:onProgress',
] as const;

export type RequestChannel = (typeof requestChannels)[number];
export type EventChannel = (typeof eventChannels)[number];

/** `clusters:list` → `['clusters', 'list']`: how the preload nests `window.fluxdeck.clusters.list`. */
export type DomainOf<C extends string> = C extends `${infer D}:${string}` ? D : never;
export type MethodOf<C extends string> = C extends `${string}:${infer M}` ? M : never;

export function splitChannel(channel: string): [domain: string, method: string] {
  const i = channel.indexOf(':');
  return [channel.slice(0, i), channel.slice(i + 1)];
}
