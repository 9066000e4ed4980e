/**
 * The editor's requests: work trees (files, preview, commit, push and the recovery choices), Flux objects edited in
 * place, and the cluster's schemas. A preview reports its steps as `workspace:onPreviewProgress` events.
 */
import type { EventChannel, EventOf } from '../contract/index.ts';
import type { Workbench } from '../workbench/index.ts';
import type { Handlers } from './router.ts';

type EditingHandlers = Pick<
  Handlers,
  Extract<keyof Handlers, `workspace:${string}` | `objects:${'editable' | 'apply'}` | 'schemas:get'>
>;

export function editingHandlers(
  port: Workbench,
  broadcast: <E extends EventChannel>(channel: E, payload: EventOf<E>) => void,
): EditingHandlers {
  const trees = port.workTrees;
  return {
    'workspace:open': ({ repo }, ctx) => trees.open(repo, ctx.signal),
    'workspace:read': async ({ id, path }) => ({ path, text: await trees.read(id, path) }),
    'workspace:write': ({ id, path, text }) => trees.write(id, path, text),
    'workspace:status': ({ id }) => trees.status(id),
    'workspace:validate': ({ id }) => trees.validate(id),
    'workspace:preview': ({ id, previewId }, ctx) =>
      trees.preview(id, {
        signal: ctx.signal,
        onProgress: (step) => broadcast('workspace:onPreviewProgress', { previewId, ...step }),
      }),
    'workspace:commit': ({ id, message, author }) => trees.commit(id, { message, ...(author && { author }) }),
    'workspace:push': ({ id }) => trees.push(id),
    'workspace:reapply': ({ id, keepMine }) => trees.reapply(id, keepMine),
    'workspace:abort': ({ id }) => trees.abort(id),
    'workspace:setCredentials': ({ id, credentials, remember }) => trees.setCredentials(id, credentials, remember),
    'workspace:forgetCredentials': ({ id }) => trees.forgetCredentials(id),
    'workspace:pushArtifact': ({ id, pushId, dir, url, insecure }, ctx) =>
      trees.pushArtifact(
        id,
        { dir, url, insecure },
        {
          signal: ctx.signal,
          onProgress: (step) => broadcast('workspace:onArtifactProgress', { pushId, ...step }),
        },
      ),
    'objects:editable': ({ key }, ctx) => port.editableObject(key, ctx.signal),
    'objects:apply': ({ key, yaml, resourceVersion }, ctx) => port.applyObject(key, yaml, resourceVersion, ctx.signal),
    'schemas:get': ({ cluster, apiVersion, kind }, ctx) => port.kindSchema(cluster, apiVersion, kind, ctx.signal),
  };
}
