/**
 * One object as the panel and the editor see it: live YAML (redacted) with its Kubernetes events, a Flux object in
 * the editor's form and the merge patch that applies an edit of it, and kinds' schemas for the editor.
 */
import { stringify } from 'yaml';

import { FluxdeckError, type FluxKey, type ObjectKey } from '../contract/index.ts';
import { CLIENT_SIDE_APPLY_MANAGER } from '../flux/meta.ts';
import type { ClusterClient } from '../kube/cluster-client.ts';
import { errorMessage } from '../util/errors.ts';
import type { KubeObject } from '../util/kube-object.ts';
import type { Logger } from '../util/logger.ts';
import { asFluxdeckError } from './errors.ts';
import { editableForm, mergePatch, parseEdit, patchedFields } from './flux-edit.ts';
import { fluxRef } from './flux-verbs.ts';
import { createKindSchemas } from './kind-schemas.ts';
import { eventSummary, redactedForDisplay } from './summaries.ts';
import type { ObjectLive, Workbench } from './workbench.ts';

/** Labels kustomize-controller puts on what it applies: who would put an in-place edit back. */
const KS_NAME = 'kustomize.toolkit.fluxcd.io/name';
const KS_NAMESPACE = 'kustomize.toolkit.fluxcd.io/namespace';

type ObjectViews = Pick<Workbench, 'getObject' | 'editableObject' | 'applyObject' | 'kindSchema'>;

export function objectViews(clientOf: (cluster: string) => ClusterClient, logger: Logger): ObjectViews {
  const schemas = createKindSchemas();

  const readFlux = async (key: FluxKey, signal: AbortSignal): Promise<KubeObject> => {
    const kind = fluxRef(key).kind;
    return clientOf(key.cluster).get(
      { apiVersion: kind.apiVersion, kind: kind.kind, namespace: key.namespace, name: key.name },
      { signal },
    );
  };

  /** The object's Kubernetes events (by uid, so a recreated object's old events are left out), oldest first. */
  const eventsOf = async (client: ClusterClient, key: ObjectKey, live: KubeObject): Promise<ObjectLive['events']> => {
    const fields = [`involvedObject.kind=${key.kind}`, `involvedObject.name=${key.name}`];
    if (key.namespace) fields.push(`involvedObject.namespace=${key.namespace}`);
    const events = await client
      .list(
        { apiVersion: 'v1', kind: 'Event' },
        { ...(key.namespace && { namespace: key.namespace }), fieldSelector: fields.join(',') },
      )
      .then((l) =>
        l.items.filter((e) => (e as { involvedObject?: { uid?: string } }).involvedObject?.uid === live.metadata.uid),
      )
      .catch((err: unknown) => {
        logger.warn('could not list events', { object: `${key.kind}/${key.name}`, error: errorMessage(err) });
        return [];
      });
    return events.map(eventSummary).sort((a, b) => (a.lastSeen ?? '').localeCompare(b.lastSeen ?? ''));
  };

  return {
    async getObject(key) {
      const client = clientOf(key.cluster);
      try {
        const info = await client.mapper.resolveGroupKind(key.group, key.kind);
        const apiVersion = info.group ? `${info.group}/${info.version}` : info.version;
        const live = await client.get({ apiVersion, kind: key.kind, namespace: key.namespace, name: key.name });
        return { yaml: stringify(redactedForDisplay(live)), events: await eventsOf(client, key, live) };
      } catch (err) {
        throw asFluxdeckError(
          err,
          `Could not read ${key.kind} ${key.namespace ? `${key.namespace}/` : ''}${key.name} in ${key.cluster}`,
        );
      }
    },

    async editableObject(key, signal) {
      try {
        const live = await readFlux(key, signal);
        const labels = live.metadata.labels ?? {};
        const by = labels[KS_NAME];
        return {
          key,
          yaml: stringify(editableForm(live)),
          resourceVersion: live.metadata.resourceVersion ?? '',
          ...(by && { managedBy: { namespace: labels[KS_NAMESPACE] ?? '', name: by } }),
        };
      } catch (err) {
        throw asFluxdeckError(err, `Could not read ${key.kind} ${key.namespace}/${key.name} in ${key.cluster}`);
      }
    },

    async applyObject(key, yaml, resourceVersion, signal) {
      const what = `${key.kind} ${key.namespace}/${key.name} in ${key.cluster}`;
      try {
        const live = await readFlux(key, signal);
        const patch = mergePatch(editableForm(live), parseEdit(key, live.apiVersion, yaml));
        if (patch === undefined)
          return { key, resourceVersion: live.metadata.resourceVersion ?? '', changed: false, fields: [] };
        const fields = patchedFields(patch);
        // The resourceVersion the user started from makes the apiserver refuse (409) an edit of a stale copy.
        const body = patch as { metadata?: Record<string, unknown> };
        body.metadata = { ...body.metadata, resourceVersion };
        const kind = fluxRef(key).kind;
        const updated = await clientOf(key.cluster).patch(
          { apiVersion: kind.apiVersion, kind: kind.kind, namespace: key.namespace, name: key.name },
          body,
          'merge',
          { fieldManager: CLIENT_SIDE_APPLY_MANAGER, signal },
        );
        return { key, resourceVersion: updated.metadata.resourceVersion ?? '', changed: true, fields };
      } catch (err) {
        const e = asFluxdeckError(err, `Applying the edit of ${what} failed`);
        if (e.code !== 'conflict') throw e;
        throw new FluxdeckError(
          'conflict',
          `${what} changed since you opened it (someone else, or its controller, wrote it): reload it, then make your edit again.`,
          { cause: err },
        );
      }
    },

    async kindSchema(cluster, apiVersion, kind, signal) {
      try {
        return await schemas.get(clientOf(cluster), apiVersion, kind, signal);
      } catch (err) {
        throw asFluxdeckError(err, `Could not read the schema of ${kind} (${apiVersion}) from ${cluster}`);
      }
    },
  };
}
