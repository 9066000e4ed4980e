import type { ClusterSession } from '../../engine/cluster-session.ts';
import type { CacheEvent, Controller, ResourceType } from '../../engine/controller-manager.ts';
import type { ImagePolicy, ImagePolicyStatus, ImageRepository } from '../../flux/image.ts';
import { fluxKinds } from '../../flux/kinds.ts';
import { secretData } from '../../kube/secrets.ts';
import type { KubeObject } from '../../util/kube-object.ts';
import type { FluxEventSink } from '../flux-events.ts';
import {
  IMAGE_REFLECTOR,
  IMAGE_REPOSITORY,
  IMAGE_REVISION_KEY,
  tagKey,
} from '../imagerepository/controller.ts';
import { tagDigest } from '../imagerepository/scan.ts';
import type { TagStore } from '../imagerepository/tag-store.ts';
import { setFinalizer, StatusWriter } from '../status-writer.ts';
import type { ImagePolicyPorts } from './ports.ts';
import { reconcileImagePolicy } from './reconcile.ts';

export const IMAGE_POLICY: ResourceType = { apiVersion: fluxKinds.ImagePolicy.apiVersion, kind: 'ImagePolicy' };

export interface ImagePolicyControllerDeps {
  session: ClusterSession;
  tags: TagStore;
  events: FluxEventSink;
  concurrency?: number;
}

/** The engine controller for ImagePolicies: reconciled again whenever their ImageRepository scans. */
export function imagePolicyController(deps: ImagePolicyControllerDeps): Controller {
  const { session } = deps;
  return {
    type: IMAGE_POLICY,
    concurrency: deps.concurrency ?? 2,
    reconcile: (obj, req) =>
      reconcileImagePolicy(obj as ImagePolicy, imagePolicyPorts(deps), req.signal),
    watches: [{ type: IMAGE_REPOSITORY, map: (e) => (scanned(e) ? policiesOf(e.object, session) : []) }],
  };
}

/** A repository moved for its policies: a new scan result, image, or readiness (Flux watches every update). */
function scanned(e: CacheEvent): boolean {
  if (e.type === 'deleted') return true;
  return scanStamp(e.object) !== scanStamp(e.old);
}

function scanStamp(o: KubeObject | undefined): string {
  const s = (o as ImageRepository | undefined)?.status ?? {};
  const scan = s.lastScanResult;
  const ready = s.conditions?.find((c) => c.type === 'Ready')?.status;
  return JSON.stringify([scan?.revision, scan?.scanTime, s.canonicalImageName, ready]);
}

function policiesOf(repo: KubeObject, session: ClusterSession): { namespace: string; name: string }[] {
  return (session.cache(IMAGE_POLICY).list() as ImagePolicy[])
    .filter((p) => {
      const ref = p.spec.imageRepositoryRef;
      return ref.name === repo.metadata.name && (ref.namespace ?? p.metadata.namespace) === repo.metadata.namespace;
    })
    .map((p) => ({ namespace: p.metadata.namespace ?? '', name: p.metadata.name ?? '' }));
}

export function imagePolicyPorts(deps: ImagePolicyControllerDeps): ImagePolicyPorts {
  const { session, tags } = deps;
  const client = session.client;
  const writers = new WeakMap<ImagePolicy, StatusWriter<ImagePolicyStatus>>();
  const writer = (p: ImagePolicy): StatusWriter<ImagePolicyStatus> => {
    let w = writers.get(p);
    if (!w) writers.set(p, (w = new StatusWriter<ImagePolicyStatus>(client, p, IMAGE_REFLECTOR)));
    return w;
  };
  return {
    repository: (ns, name) => session.cache(IMAGE_REPOSITORY).get(ns, name) as ImageRepository | undefined,
    namespaceLabels: async (ns, signal) => {
      const obj = await client.tryGet({ apiVersion: 'v1', kind: 'Namespace', name: ns }, { signal });
      return obj ? (obj.metadata.labels ?? {}) : undefined;
    },
    readTags: (r) => tags.read(tagKey(session, r)),
    secret: (ns, name, signal) => secretData(client, ns, name, signal),
    digest: (r, tag, access, signal) => tagDigest(r, tag, access, signal),
    writeStatus: (p, s) => writer(p).write(s),
    setFinalizer: (p, present) => setFinalizer(client, p, present, IMAGE_REFLECTOR),
    event: (p, e) => deps.events.emit(session, p, { ...e, controller: IMAGE_REFLECTOR, revisionKey: IMAGE_REVISION_KEY }),
    now: () => new Date(),
  };
}
