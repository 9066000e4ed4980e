import { setTimeout as sleep } from 'node:timers/promises';

import { groupOf } from '../util/kube-object.ts';
import { errorFromResponse, KubeError } from './kube-error.ts';
import type { RestTransport } from './rest-transport.ts';

/**
 * Discovery and REST mapping: which resource (URL plural) serves a kind, and whether it is namespaced. Uses aggregated
 * discovery (two requests for the whole cluster, Kubernetes 1.26+) and falls back to per-group discovery on older
 * apiservers. Cached; refreshed on a miss (a CRD that was just installed) at most once a second, and whenever
 * `invalidate()` is called (the apply engine does after it applies CRDs).
 */
export interface ResourceInfo {
  group: string;
  version: string;
  kind: string;
  /** The plural in URLs: `deployments`. */
  resource: string;
  namespaced: boolean;
  verbs: string[];
  subresources: string[];
  shortNames: string[];
  singular: string;
}

interface Index {
  byGvk: Map<string, ResourceInfo>;
  /** The first (preferred) version serving a group/kind. */
  preferred: Map<string, ResourceInfo>;
  all: ResourceInfo[];
  at: number;
}

const AGGREGATED_ACCEPT =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';

const gvkKey = (group: string, version: string, kind: string): string => `${group}/${version}/${kind}`;
const gkKey = (group: string, kind: string): string => `${group}/${kind}`;

export class RestMapper {
  readonly #transport: RestTransport;
  readonly #ttlMs: number;
  #index: Index | undefined;
  #loading: Promise<Index> | undefined;
  #generation = 0;

  constructor(transport: RestTransport, opts: { ttlMs?: number } = {}) {
    this.#transport = transport;
    this.#ttlMs = opts.ttlMs ?? 10 * 60_000;
  }

  /** The resource serving `apiVersion`/`kind`; throws KubeError `UnknownKind` when the cluster does not serve it. */
  async resolve(apiVersion: string, kind: string): Promise<ResourceInfo> {
    const group = groupOf(apiVersion);
    const version = apiVersion.slice(apiVersion.indexOf('/') + 1);
    const key = gvkKey(group, version, kind);
    const found = await this.#lookup((ix) => ix.byGvk.get(key));
    if (found) return found;
    throw unknownKind(`${kind} in version "${apiVersion}"`, group);
  }

  /** The preferred version's resource for a group and kind (inventory entries and refs carry no version). */
  async resolveGroupKind(group: string, kind: string): Promise<ResourceInfo> {
    const found = await this.#lookup((ix) => ix.preferred.get(gkKey(group, kind)));
    if (found) return found;
    throw unknownKind(`${kind} in group "${group || 'core'}"`, group);
  }

  /** Every resource the cluster serves (all versions). */
  async resources(): Promise<ResourceInfo[]> {
    return (await this.#current()).all;
  }

  /** Forget the cache; the next lookup asks the cluster again. */
  invalidate(): void {
    this.#index = undefined;
    this.#generation++;
  }

  /** Bumped by `invalidate()`: caches derived from the cluster's API surface compare it to know they are stale. */
  get generation(): number {
    return this.#generation;
  }

  async #lookup(get: (ix: Index) => ResourceInfo | undefined): Promise<ResourceInfo | undefined> {
    const ix = await this.#current();
    const hit = get(ix);
    if (hit) return hit;
    // A miss: the kind may have been installed since the index was read (a CRD established a moment ago shows up in
    // discovery a little later). Ask again, at most once a second (shared by concurrent callers).
    const age = Date.now() - ix.at;
    if (age < 1000) await sleep(1000 - age);
    if (this.#index === ix) this.#index = undefined;
    return get(await this.#current());
  }

  #current(): Promise<Index> {
    if (this.#index && Date.now() - this.#index.at < this.#ttlMs) return Promise.resolve(this.#index);
    this.#loading ??= this.#load().then(
      (ix) => {
        this.#index = ix;
        this.#loading = undefined;
        return ix;
      },
      (err: unknown) => {
        this.#loading = undefined;
        throw err;
      },
    );
    return this.#loading;
  }

  async #load(): Promise<Index> {
    const [core, groups] = await Promise.all([
      this.#get('/api', AGGREGATED_ACCEPT),
      this.#get('/apis', AGGREGATED_ACCEPT),
    ]);
    let infos: ResourceInfo[];
    if (
      (core as { kind?: string }).kind === 'APIGroupDiscoveryList' &&
      (groups as { kind?: string }).kind === 'APIGroupDiscoveryList'
    )
      infos = [...parseAggregated(core as AggregatedList), ...parseAggregated(groups as AggregatedList)];
    else infos = await this.#loadLegacy(core as { versions?: string[] }, groups as LegacyGroupList);
    return buildIndex(infos);
  }

  async #loadLegacy(core: { versions?: string[] }, groups: LegacyGroupList): Promise<ResourceInfo[]> {
    const gvs: { group: string; version: string; path: string }[] = (core.versions ?? ['v1']).map((v) => ({
      group: '',
      version: v,
      path: `/api/${v}`,
    }));
    for (const g of groups.groups ?? []) {
      // Preferred version first, so buildIndex picks it as the group/kind default.
      const versions = [...g.versions].sort((a, b) =>
        a.version === g.preferredVersion?.version ? -1 : b.version === g.preferredVersion?.version ? 1 : 0,
      );
      for (const v of versions) gvs.push({ group: g.name, version: v.version, path: `/apis/${v.groupVersion}` });
    }
    const lists = await Promise.all(
      gvs.map(async (gv) => {
        try {
          return { gv, list: (await this.#get(gv.path, 'application/json')) as LegacyResourceList };
        } catch {
          return { gv, list: { resources: [] } }; // an unavailable aggregated API must not break discovery
        }
      }),
    );
    return lists.flatMap(({ gv, list }) => parseLegacy(gv.group, gv.version, list));
  }

  async #get(path: string, accept: string): Promise<unknown> {
    const res = await this.#transport.request({ method: 'GET', path, accept, verb: 'DISCOVERY' });
    if (res.status !== 200) throw errorFromResponse(`discovery ${path}`, res.status, res.body);
    return JSON.parse(res.body) as unknown;
  }
}

function unknownKind(what: string, group: string): KubeError {
  return new KubeError(`no matches for kind ${what}: the cluster does not serve it`, {
    reason: 'UnknownKind',
    hint: group.includes('.')
      ? `install the CustomResourceDefinition for group "${group}" first (or apply it in the same batch)`
      : 'check the apiVersion and kind for typos or an API version removed in this Kubernetes release',
  });
}

interface AggregatedList {
  items?: {
    metadata?: { name?: string };
    versions?: {
      version: string;
      resources?: {
        resource: string;
        responseKind?: { kind?: string };
        scope?: string;
        verbs?: string[];
        shortNames?: string[];
        singularResource?: string;
        subresources?: { subresource: string }[];
      }[];
    }[];
  }[];
}

export function parseAggregated(list: AggregatedList): ResourceInfo[] {
  const out: ResourceInfo[] = [];
  for (const g of list.items ?? []) {
    const group = g.metadata?.name ?? '';
    for (const v of g.versions ?? [])
      for (const r of v.resources ?? []) {
        const kind = r.responseKind?.kind;
        if (!kind) continue;
        out.push({
          group,
          version: v.version,
          kind,
          resource: r.resource,
          namespaced: r.scope === 'Namespaced',
          verbs: r.verbs ?? [],
          subresources: (r.subresources ?? []).map((s) => s.subresource),
          shortNames: r.shortNames ?? [],
          singular: r.singularResource ?? kind.toLowerCase(),
        });
      }
  }
  return out;
}

interface LegacyGroupList {
  groups?: {
    name: string;
    versions: { groupVersion: string; version: string }[];
    preferredVersion?: { version: string };
  }[];
}

interface LegacyResourceList {
  resources?: {
    name: string;
    kind: string;
    namespaced: boolean;
    verbs?: string[];
    shortNames?: string[];
    singularName?: string;
  }[];
}

function parseLegacy(group: string, version: string, list: LegacyResourceList): ResourceInfo[] {
  const all = list.resources ?? [];
  return all
    .filter((r) => !r.name.includes('/'))
    .map((r) => ({
      group,
      version,
      kind: r.kind,
      resource: r.name,
      namespaced: r.namespaced,
      verbs: r.verbs ?? [],
      subresources: all.filter((s) => s.name.startsWith(`${r.name}/`)).map((s) => s.name.slice(r.name.length + 1)),
      shortNames: r.shortNames ?? [],
      singular: r.singularName || r.kind.toLowerCase(),
    }));
}

function buildIndex(infos: ResourceInfo[]): Index {
  const byGvk = new Map<string, ResourceInfo>();
  const preferred = new Map<string, ResourceInfo>();
  for (const r of infos) {
    // Several resources can answer with the same kind (e.g. `pods/status`-like aliases); the first listed is canonical.
    const k = gvkKey(r.group, r.version, r.kind);
    if (!byGvk.has(k)) byGvk.set(k, r);
    if (!preferred.has(gkKey(r.group, r.kind))) preferred.set(gkKey(r.group, r.kind), r);
  }
  return { byGvk, preferred, all: infos, at: Date.now() };
}
