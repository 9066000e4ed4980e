import { dirname, join } from 'node:path';

import type { ClusterSession } from '../engine/cluster-session.ts';
import type { Controller } from '../engine/controller-manager.ts';
import type { ArtifactStore } from '../sources/artifacts/artifact-store.ts';
import type { FluxEventSink } from './flux-events.ts';
import { imagePolicyController } from './imagepolicy/controller.ts';
import { imageRepositoryController } from './imagerepository/controller.ts';
import { TagStore } from './imagerepository/tag-store.ts';
import { imageUpdateAutomationController } from './imageupdateautomation/controller.ts';

/** The image automation controllers a session runs, where its cluster serves their kinds. */
export interface ImageControllerDeps {
  store: ArtifactStore;
  events: FluxEventSink;
  imageTagsDir?: string;
  /** Where automations keep their clones; default `image-automation` beside the artifact store. */
  imageAutomationDir?: string;
}

const stores = new Map<string, TagStore>();

/** The tag store of a data directory (one instance per directory, shared by the sessions and their controllers). */
export function tagStoreFor(deps: Pick<ImageControllerDeps, 'store' | 'imageTagsDir'>): TagStore {
  const root = deps.imageTagsDir ?? join(dirname(deps.store.root), 'image-tags');
  let store = stores.get(root);
  if (!store) stores.set(root, (store = new TagStore(root)));
  return store;
}

/** Where the automations of a data directory keep their clones (the panel reads their commits there). */
export function automationRootFor(deps: Pick<ImageControllerDeps, 'store' | 'imageAutomationDir'>): string {
  return deps.imageAutomationDir ?? join(dirname(deps.store.root), 'image-automation');
}

export function imageControllers(
  session: ClusterSession,
  served: Set<string>,
  deps: ImageControllerDeps,
): Controller[] {
  const tags = tagStoreFor(deps);
  const { events } = deps;
  return [
    ...(served.has('ImageRepository') ? [imageRepositoryController({ session, tags, events })] : []),
    ...(served.has('ImagePolicy') && served.has('ImageRepository')
      ? [imagePolicyController({ session, tags, events })]
      : []),
    ...(served.has('ImageUpdateAutomation') && served.has('ImagePolicy')
      ? [
          imageUpdateAutomationController({
            session,
            events,
            root: automationRootFor(deps),
          }),
        ]
      : []),
  ];
}
