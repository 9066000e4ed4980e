import type { ClusterSession } from '../../engine/cluster-session.ts';
import type { Controller, ResourceType } from '../../engine/controller-manager.ts';
import type { ImageRepository, ImageRepositoryStatus } from '../../flux/image.ts';
import { fluxKinds } from '../../flux/kinds.ts';
import { secretData } from '../../kube/secrets.ts';
import type { FluxEventSink } from '../flux-events.ts';
import { setFinalizer, StatusWriter } from '../status-writer.ts';
import type { ImageRepositoryPorts } from './ports.ts';
import { reconcileImageRepository } from './reconcile.ts';
import { listTags } from './scan.ts';
import type { TagKey, TagStore } from './tag-store.ts';

/** image-reflector-controller's name: the field manager of status and the events' reporting controller. */
export const IMAGE_REFLECTOR = 'image-reflector-controller';
/** The annotation image events carry their revision in (`<group>/revision`). */
export const IMAGE_REVISION_KEY = 'image.toolkit.fluxcd.io/revision';

export const IMAGE_REPOSITORY: ResourceType = {
  apiVersion: fluxKinds.ImageRepository.apiVersion,
  kind: 'ImageRepository',
};

export interface ImageRepositoryControllerDeps {
  session: ClusterSession;
  tags: TagStore;
  events: FluxEventSink;
  concurrency?: number;
}

export function tagKey(session: Pick<ClusterSession, 'context'>, obj: ImageRepository): TagKey {
  return { cluster: session.context, namespace: obj.metadata.namespace ?? '', name: obj.metadata.name ?? '' };
}

/** The engine controller for ImageRepositories. */
export function imageRepositoryController(deps: ImageRepositoryControllerDeps): Controller {
  return {
    type: IMAGE_REPOSITORY,
    concurrency: deps.concurrency ?? 2,
    reconcile: (obj, req) =>
      reconcileImageRepository(
        obj as ImageRepository,
        imageRepositoryPorts(obj as ImageRepository, deps),
        req.signal,
      ),
  };
}

export function imageRepositoryPorts(repo: ImageRepository, deps: ImageRepositoryControllerDeps): ImageRepositoryPorts {
  const { session, tags } = deps;
  const client = session.client;
  const status = new StatusWriter<ImageRepositoryStatus>(client, repo, IMAGE_REFLECTOR);
  return {
    secret: (ns, name, signal) => secretData(client, ns, name, signal),
    listTags,
    readTags: (r) => tags.read(tagKey(session, r)),
    writeTags: (r, canonical, list) => tags.write(tagKey(session, r), canonical, list),
    removeTags: (r) => tags.remove(tagKey(session, r)),
    writeStatus: (_r, s) => status.write(s),
    setFinalizer: (r, present) => setFinalizer(client, r, present, IMAGE_REFLECTOR),
    event: (r, e) => deps.events.emit(session, r, { ...e, controller: IMAGE_REFLECTOR, revisionKey: IMAGE_REVISION_KEY }),
    now: () => new Date(),
  };
}
