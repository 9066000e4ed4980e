import { join } from 'node:path';

import type { ClusterSession } from '../../engine/cluster-session.ts';
import type { CacheEvent, Controller, ResourceType } from '../../engine/controller-manager.ts';
import type { ImagePolicy, ImageUpdateAutomation, ImageUpdateAutomationStatus } from '../../flux/image.ts';
import { fluxKinds } from '../../flux/kinds.ts';
import { Annotation } from '../../flux/meta.ts';
import type { GitRepository } from '../../flux/source.ts';
import { secretData } from '../../kube/secrets.ts';
import { authFromSecret } from '../../sources/git/git-auth.ts';
import { parseGitUrl } from '../../sources/git/git-url.ts';
import type { FluxEventSink } from '../flux-events.ts';
import { IMAGE_POLICY } from '../imagepolicy/controller.ts';
import { IMAGE_REVISION_KEY } from '../imagerepository/controller.ts';
import { setFinalizer, StatusWriter } from '../status-writer.ts';
import { runGitUpdate } from './git-update.ts';
import type { ImageUpdateAutomationPorts } from './ports.ts';
import { reconcileImageUpdateAutomation } from './reconcile.ts';

/** image-automation-controller's name: status field manager and reporting controller of events. */
export const IMAGE_AUTOMATION = 'image-automation-controller';

export const IMAGE_UPDATE_AUTOMATION: ResourceType = {
  apiVersion: fluxKinds.ImageUpdateAutomation.apiVersion,
  kind: 'ImageUpdateAutomation',
};
const GIT_REPOSITORY: ResourceType = { apiVersion: fluxKinds.GitRepository.apiVersion, kind: 'GitRepository' };

export interface ImageUpdateAutomationControllerDeps {
  session: ClusterSession;
  /** Where each automation keeps its clone: `<root>/<cluster>/<namespace>/<name>`. */
  root: string;
  events: FluxEventSink;
  concurrency?: number;
}

export function automationDir(root: string, cluster: string, a: ImageUpdateAutomation): string {
  const safe = (s: string): string => encodeURIComponent(s).replace(/^\.+/, (d) => '%2E'.repeat(d.length));
  return join(root, safe(cluster), safe(a.metadata.namespace ?? ''), safe(a.metadata.name ?? ''));
}

/** The engine controller for ImageUpdateAutomations: requeued when a policy of their namespace moves. */
export function imageUpdateAutomationController(deps: ImageUpdateAutomationControllerDeps): Controller {
  const { session } = deps;
  return {
    type: IMAGE_UPDATE_AUTOMATION,
    concurrency: deps.concurrency ?? 1,
    reconcile: (obj, req) =>
      reconcileImageUpdateAutomation(obj as ImageUpdateAutomation, imageUpdateAutomationPorts(deps), req.signal),
    watches: [
      { type: IMAGE_POLICY, map: (e) => (policyMoved(e) ? automationsIn(e.object.metadata.namespace, session) : []) },
    ],
  };
}

function policyMoved(e: CacheEvent): boolean {
  const ref = (o: unknown): string => JSON.stringify((o as ImagePolicy | undefined)?.status?.latestRef ?? null);
  return e.type !== 'modified' || ref(e.object) !== ref(e.old);
}

function automationsIn(namespace: string | undefined, session: ClusterSession): { namespace: string; name: string }[] {
  return (session.cache(IMAGE_UPDATE_AUTOMATION).list() as ImageUpdateAutomation[])
    .filter((a) => a.metadata.namespace === namespace)
    .map((a) => ({ namespace: a.metadata.namespace ?? '', name: a.metadata.name ?? '' }));
}

export function imageUpdateAutomationPorts(deps: ImageUpdateAutomationControllerDeps): ImageUpdateAutomationPorts {
  const { session } = deps;
  const client = session.client;
  const writers = new WeakMap<ImageUpdateAutomation, StatusWriter<ImageUpdateAutomationStatus>>();
  const writer = (a: ImageUpdateAutomation): StatusWriter<ImageUpdateAutomationStatus> => {
    let w = writers.get(a);
    if (!w) writers.set(a, (w = new StatusWriter<ImageUpdateAutomationStatus>(client, a, IMAGE_AUTOMATION)));
    return w;
  };
  return {
    gitRepository: (ns, name) => session.cache(GIT_REPOSITORY).get(ns, name) as GitRepository | undefined,
    policies: (ns) => (session.cache(IMAGE_POLICY).list() as ImagePolicy[]).filter((p) => p.metadata.namespace === ns),
    gitAuth: async (repo, signal) => {
      const ref = repo.spec.secretRef;
      if (!ref) return undefined;
      const ns = repo.metadata.namespace ?? '';
      const data = await secretData(client, ns, ref.name, signal);
      return authFromSecret(parseGitUrl(repo.spec.url), data, `${ns}/${ref.name}`);
    },
    secret: (ns, name, signal) => secretData(client, ns, name, signal),
    update: (a, request) => runGitUpdate({ ...request, dir: automationDir(deps.root, session.context, a) }),
    requestReconcile: async (repo, at) => {
      await client.patch(
        { ...GIT_REPOSITORY, namespace: repo.metadata.namespace ?? '', name: repo.metadata.name ?? '' },
        { metadata: { annotations: { [Annotation.ReconcileRequestedAt]: at } } },
        'merge',
        { fieldManager: IMAGE_AUTOMATION },
      );
    },
    writeStatus: (a, s) => writer(a).write(s),
    setFinalizer: (a, present) => setFinalizer(client, a, present, IMAGE_AUTOMATION),
    event: (a, e) =>
      deps.events.emit(session, a, { ...e, controller: IMAGE_AUTOMATION, revisionKey: IMAGE_REVISION_KEY }),
    now: () => new Date(),
  };
}
