/**
 * JSON schemas (draft 7, what monaco-yaml's language server reads) from the Kubernetes API's own schemas: a kind's
 * component in an OpenAPI v3 document (`/openapi/v3/apis/<group>/<version>`, which also carries the CRDs' schemas),
 * or a CRD version's `openAPIV3Schema`. Pure: main/api/kind-schemas.ts fetches and caches.
 *
 * The conversion makes the editor as strict as the apiserver's field validation: objects with declared properties
 * refuse unknown ones (a typo such as `replica:` is flagged), except where the API keeps unknown fields
 * (`x-kubernetes-preserve-unknown-fields`, e.g. a HelmRelease's values).
 */

type Json = Record<string, unknown>;

export interface OpenApiDocument {
  components?: { schemas?: Record<string, Json> };
}

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

const REF_PREFIX = '#/components/schemas/';
/** Formats the language server understands; Kubernetes' int32/int64/byte/quantity would only add noise. */
const KEPT_FORMATS = new Set(['date-time', 'date', 'time', 'email', 'uri']);

const isMap = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** The path of a group-version's document below `/openapi/v3/`: `api/v1`, `apis/apps/v1`. */
export function openApiPath(apiVersion: string): string {
  const { group, version } = parseApiVersion(apiVersion);
  return group === '' ? `api/${version}` : `apis/${group}/${version}`;
}

/** One schema node converted; `refs` collects the components it refers to. */
function convert(node: unknown, refs: Set<string>): unknown {
  if (Array.isArray(node)) return node.map((n) => convert(n, refs));
  if (!isMap(node)) return node;
  const out: Json = {};
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith('x-kubernetes-')) continue;
    if (key === '$ref' && typeof value === 'string' && value.startsWith(REF_PREFIX)) {
      const name = value.slice(REF_PREFIX.length);
      refs.add(name);
      out.$ref = `#/definitions/${name}`;
    } else if (key === 'format') {
      if (typeof value === 'string' && KEPT_FORMATS.has(value)) out.format = value;
    } else if (key === 'nullable') {
      continue;
    } else if (key === 'properties' || key === 'patternProperties' || key === 'definitions') {
      out[key] = isMap(value)
        ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, convert(v, refs)]))
        : value;
    } else out[key] = convert(value, refs);
  }
  applyKubernetesExtensions(node, out);
  return out;
}

/** What the `x-kubernetes-*` extensions and `nullable` mean, in plain JSON schema (which the editor understands). */
function applyKubernetesExtensions(node: Json, out: Json): void {
  if (node.nullable === true && typeof out.type === 'string') out.type = [out.type, 'null'];
  if (node['x-kubernetes-int-or-string'] === true && out.anyOf === undefined && out.oneOf === undefined) {
    delete out.type;
    out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  }
  if (node['x-kubernetes-preserve-unknown-fields'] === true) {
    if (out.additionalProperties === undefined) out.additionalProperties = true;
  } else if (isMap(out.properties) && out.additionalProperties === undefined) out.additionalProperties = false;
}

/** The root of a kind's schema: apiVersion and kind fixed to the only values that fit (completion offers them). */
function rootOf(schema: Json, apiVersion: string, kind: string): Json {
  const properties = isMap(schema.properties) ? { ...schema.properties } : {};
  properties.apiVersion = {
    ...(isMap(properties.apiVersion) ? properties.apiVersion : {}),
    type: 'string',
    enum: [apiVersion],
  };
  properties.kind = { ...(isMap(properties.kind) ? properties.kind : {}), type: 'string', enum: [kind] };
  const required = new Set([
    ...(Array.isArray(schema.required) ? (schema.required as string[]) : []),
    'apiVersion',
    'kind',
  ]);
  return { ...schema, type: 'object', properties, required: [...required] };
}

/** The name of the component that describes `gvk` (its `x-kubernetes-group-version-kind`), if the document has one. */
export function componentFor(doc: OpenApiDocument, gvk: GroupVersionKind): string | undefined {
  for (const [name, schema] of Object.entries(doc.components?.schemas ?? {})) {
    const tags = schema['x-kubernetes-group-version-kind'];
    if (
      Array.isArray(tags) &&
      tags.some((t) => isMap(t) && t.group === gvk.group && t.version === gvk.version && t.kind === gvk.kind)
    )
      return name;
  }
  return undefined;
}

/** A self-contained JSON schema of `apiVersion`/`kind` from an OpenAPI v3 document, or undefined if it has none. */
export function schemaFromOpenApi(doc: OpenApiDocument, apiVersion: string, kind: string): Json | undefined {
  const schemas = doc.components?.schemas ?? {};
  const name = componentFor(doc, { ...parseApiVersion(apiVersion), kind });
  const root = name === undefined ? undefined : schemas[name];
  if (!root) return undefined;
  const refs = new Set<string>();
  const converted = convert(root, refs) as Json;
  const definitions: Json = {};
  const pending = [...refs];
  for (let ref = pending.pop(); ref !== undefined; ref = pending.pop()) {
    if (ref in definitions) continue;
    const found = new Set<string>();
    definitions[ref] = convert(schemas[ref] ?? {}, found);
    for (const f of found) if (!(f in definitions)) pending.push(f);
  }
  return { ...rootOf(converted, apiVersion, kind), definitions };
}

/** A JSON schema of `apiVersion`/`kind` from a CRD version's `openAPIV3Schema` (self-contained already). */
export function schemaFromCrd(openApiV3Schema: Json, apiVersion: string, kind: string): Json {
  return rootOf(convert(openApiV3Schema, new Set()) as Json, apiVersion, kind);
}
