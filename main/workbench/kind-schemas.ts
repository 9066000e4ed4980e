/**
 * The editor's schemas, per cluster: the kind's component of the cluster's OpenAPI v3 document for its group-version
 * (which covers built-in kinds and CRDs alike), else the CRD's own `openAPIV3Schema`. Documents and results are
 * cached per cluster client, so a reconnect (a new client) starts afresh; a kind not found makes the index be read
 * again once, because a CRD installed meanwhile changes it.
 */
import { FluxdeckError, type KindSchema } from '../contract/index.ts';
import type { ClusterClient } from '../kube/cluster-client.ts';
import type { KubeObject } from '../util/kube-object.ts';
import {
  type OpenApiDocument,
  openApiPath,
  parseApiVersion,
  schemaFromCrd,
  schemaFromOpenApi,
} from './openapi-schema.ts';

interface OpenApiIndex {
  paths?: Record<string, { serverRelativeURL?: string }>;
}

interface Crd extends KubeObject {
  spec: {
    group: string;
    names: { kind: string };
    versions: { name: string; schema?: { openAPIV3Schema?: Record<string, unknown> } }[];
  };
}

interface ClientCache {
  index?: Promise<OpenApiIndex>;
  documents: Map<string, Promise<OpenApiDocument>>;
  schemas: Map<string, Promise<KindSchema>>;
}

export interface KindSchemas {
  get(client: ClusterClient, apiVersion: string, kind: string, signal: AbortSignal): Promise<KindSchema>;
}

/** A request that fails is not cached: the next call asks again. */
function remember<T>(map: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
  const have = map.get(key);
  if (have) return have;
  const p = make();
  map.set(key, p);
  p.catch(() => map.delete(key));
  return p;
}

export function createKindSchemas(): KindSchemas {
  const caches = new WeakMap<ClusterClient, ClientCache>();
  const cacheOf = (client: ClusterClient): ClientCache => {
    let c = caches.get(client);
    if (!c) caches.set(client, (c = { documents: new Map(), schemas: new Map() }));
    return c;
  };

  const readIndex = (client: ClusterClient, signal: AbortSignal, fresh: boolean): Promise<OpenApiIndex> => {
    const cache = cacheOf(client);
    if (fresh || !cache.index) {
      const p = client.request<OpenApiIndex>({ method: 'GET', path: '/openapi/v3', signal }, 'GET /openapi/v3');
      cache.index = p;
      p.catch(() => {
        if (cache.index === p) cache.index = undefined;
      });
    }
    return cache.index;
  };

  const readDocument = async (
    client: ClusterClient,
    apiVersion: string,
    signal: AbortSignal,
    fresh: boolean,
  ): Promise<OpenApiDocument | undefined> => {
    const path = openApiPath(apiVersion);
    const url = (await readIndex(client, signal, fresh)).paths?.[path]?.serverRelativeURL;
    if (!url) return undefined;
    // The URL carries the document's hash: a changed document (a CRD installed) is a new key.
    return remember(cacheOf(client).documents, url, () => {
      const [p, query = ''] = url.split('?');
      return client.request<OpenApiDocument>(
        { method: 'GET', path: p ?? url, query: Object.fromEntries(new URLSearchParams(query)), signal },
        `GET /openapi/v3/${path}`,
      );
    });
  };

  const fromCrd = async (
    client: ClusterClient,
    apiVersion: string,
    kind: string,
    signal: AbortSignal,
  ): Promise<Record<string, unknown> | undefined> => {
    const { group, version } = parseApiVersion(apiVersion);
    if (group === '') return undefined;
    const crds = await client.list<Crd>(
      { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' },
      { signal },
    );
    const crd = crds.items.find((c) => c.spec.group === group && c.spec.names.kind === kind);
    const schema = crd?.spec.versions.find((v) => v.name === version)?.schema?.openAPIV3Schema;
    return schema && schemaFromCrd(schema, apiVersion, kind);
  };

  const lookup = async (
    client: ClusterClient,
    apiVersion: string,
    kind: string,
    signal: AbortSignal,
  ): Promise<KindSchema> => {
    for (const fresh of [false, true]) {
      const doc = await readDocument(client, apiVersion, signal, fresh);
      const schema = doc && schemaFromOpenApi(doc, apiVersion, kind);
      if (schema) return { apiVersion, kind, source: 'openapi', schema };
    }
    const crd = await fromCrd(client, apiVersion, kind, signal);
    if (crd) return { apiVersion, kind, source: 'crd', schema: crd };
    throw new FluxdeckError(
      'not-found',
      `The cluster serves no schema for ${kind} in ${apiVersion}: check the apiVersion, or install its CRD.`,
    );
  };

  return {
    get: (client, apiVersion, kind, signal) =>
      remember(cacheOf(client).schemas, `${apiVersion}|${kind}`, () => lookup(client, apiVersion, kind, signal)),
  };
}
