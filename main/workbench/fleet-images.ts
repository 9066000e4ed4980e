/**
 * The fleet images view as a pure join: for each image (repository, normalised as Docker does), the containers of
 * every workload of every connected cluster that run it (tag, digest), the tag each ImagePolicy wants for it
 * (`status.latestRef`), and where the two differ. A run differs when a policy of its cluster wants the same image
 * (one of its own namespace first, else any) and the run matches none of those policies by tag or digest.
 */
import type { FleetImage, ImageRun, ImageWant } from '../contract/index.ts';
import { parseReference } from '../registry/reference.ts';
import type { KubeObject } from '../util/kube-object.ts';

/** The workload kinds whose pod templates the view reads. */
export const FLEET_WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'CronJob'] as const;

export interface ClusterImages {
  cluster: string;
  /** Deployments, StatefulSets, DaemonSets and CronJobs (other kinds are ignored). */
  workloads: readonly KubeObject[];
  policies: readonly KubeObject[];
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** `nginx:1.25` → `{ image: 'docker.io/library/nginx', tag: '1.25' }`; undefined for what is not a reference. */
export function splitImage(raw: string): { image: string; tag?: string; digest?: string } | undefined {
  try {
    const ref = parseReference(raw);
    return {
      image: `${ref.registry}/${ref.repository}`,
      ...(ref.tag !== undefined && { tag: ref.tag }),
      ...(ref.digest !== undefined && { digest: ref.digest }),
    };
  } catch {
    return undefined;
  }
}

function podSpecOf(w: KubeObject): Json {
  const spec = obj(w.spec);
  if (w.kind === 'CronJob') return obj(obj(obj(obj(spec.jobTemplate).spec).template).spec);
  return obj(obj(spec.template).spec);
}

/** Every container (init containers too) of a workload with the image it runs. */
export function workloadRuns(cluster: string, w: KubeObject): (ImageRun & { image: string })[] {
  if (!(FLEET_WORKLOAD_KINDS as readonly string[]).includes(w.kind)) return [];
  const pod = podSpecOf(w);
  const containers = [...arr(pod.initContainers), ...arr(pod.containers)];
  return containers.flatMap((c) => {
    const name = str(obj(c).name);
    const raw = str(obj(c).image);
    const ref = raw === undefined ? undefined : splitImage(raw);
    if (!name || !ref) return [];
    return [
      {
        image: ref.image,
        cluster,
        namespace: w.metadata.namespace ?? '',
        kind: w.kind,
        workload: w.metadata.name ?? '',
        container: name,
        ...(ref.tag !== undefined && { tag: ref.tag }),
        ...(ref.digest !== undefined && { digest: ref.digest }),
      },
    ];
  });
}

/** What an ImagePolicy wants (`status.latestRef`), undefined before it selected anything. */
export function policyWant(cluster: string, p: KubeObject): (ImageWant & { image: string }) | undefined {
  const latest = obj(obj(p.status).latestRef);
  const name = str(latest.name);
  const ref = name === undefined ? undefined : splitImage(name);
  if (!ref) return undefined;
  const tag = str(latest.tag);
  const digest = str(latest.digest);
  return {
    image: ref.image,
    cluster,
    namespace: p.metadata.namespace ?? '',
    policy: p.metadata.name ?? '',
    ...(tag !== undefined && { tag }),
    ...(digest !== undefined && { digest }),
  };
}

const matches = (run: ImageRun, want: ImageWant): boolean =>
  (run.tag !== undefined && run.tag === want.tag) || (run.digest !== undefined && run.digest === want.digest);

/** The policies a run is held against: those of its namespace when there are any, else those of its cluster. */
function governing(run: ImageRun, wants: readonly ImageWant[]): ImageWant[] {
  const inCluster = wants.filter((w) => w.cluster === run.cluster);
  const inNamespace = inCluster.filter((w) => w.namespace === run.namespace);
  return inNamespace.length > 0 ? inNamespace : inCluster;
}

const byPlace = (a: ImageRun | ImageWant, b: ImageRun | ImageWant): number =>
  a.cluster.localeCompare(b.cluster) || a.namespace.localeCompare(b.namespace);

export function joinFleetImages(clusters: readonly ClusterImages[]): FleetImage[] {
  const runs = new Map<string, ImageRun[]>();
  const wants = new Map<string, ImageWant[]>();
  for (const c of clusters) {
    for (const w of c.workloads)
      for (const { image, ...run } of workloadRuns(c.cluster, w)) runs.set(image, [...(runs.get(image) ?? []), run]);
    for (const p of c.policies) {
      const want = policyWant(c.cluster, p);
      if (!want) continue;
      const { image, ...rest } = want;
      wants.set(image, [...(wants.get(image) ?? []), rest]);
    }
  }
  const images = [...new Set([...runs.keys(), ...wants.keys()])].sort();
  return images.map((image) => {
    const ws = (wants.get(image) ?? []).sort((a, b) => byPlace(a, b) || a.policy.localeCompare(b.policy));
    const rs = (runs.get(image) ?? [])
      .map((run) => {
        const held = governing(run, ws);
        return { ...run, differs: held.length > 0 && !held.some((w) => matches(run, w)) };
      })
      .sort(
        (a, b) =>
          byPlace(a, b) ||
          a.workload.localeCompare(b.workload) ||
          a.kind.localeCompare(b.kind) ||
          a.container.localeCompare(b.container),
      );
    return { image, runs: rs, wants: ws, differs: rs.some((r) => r.differs) };
  });
}
