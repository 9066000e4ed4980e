/**
 * The `openapi` field of a kustomization: a custom OpenAPI (swagger v2 `definitions`, JSON or YAML) that tells
 * strategic merge how to merge the lists of the types it describes, as kustomize's kyaml openapi package reads it.
 * A custom schema replaces kustomize's built-in one for the whole build: types it does not describe (built-in kinds
 * included) have their lists replaced by a patch, as custom resources without a schema do.
 */
import { KustomizeError } from './errors.ts';
import { isMapValue } from './resource.ts';
import { parseYamlDocument } from './yaml-parse.ts';

type Schema = Record<string, unknown>;

export interface PatchSchema {
  readonly definitions: Readonly<Record<string, Schema>>;
  /** `group/version/kind` (group empty for the core group) → definition name. */
  readonly byGvk: ReadonlyMap<string, string>;
}

/** The only built-in schema version kustomize v5.5 carries besides its default. */
export const BUILTIN_OPENAPI_VERSIONS = new Set(['v1.21.2']);

export function parseOpenApiSchema(text: string, file: string): PatchSchema {
  const doc = parseYamlDocument(text, file);
  const defs = isMapValue(doc)
    ? (doc.definitions ?? (isMapValue(doc.components) ? doc.components.schemas : undefined))
    : undefined;
  if (!isMapValue(defs)) throw new KustomizeError({ file, message: 'an OpenAPI schema needs a definitions map' });
  const definitions: Record<string, Schema> = {};
  const byGvk = new Map<string, string>();
  for (const [name, def] of Object.entries(defs)) {
    if (!isMapValue(def)) continue;
    definitions[name] = def;
    const gvks = def['x-kubernetes-group-version-kind'];
    if (!Array.isArray(gvks)) continue;
    for (const g of gvks) {
      if (!isMapValue(g)) continue;
      const str = (v: unknown): string => (typeof v === 'string' ? v : '');
      const key = `${str(g.group)}/${str(g.version)}/${str(g.kind)}`;
      if (!byGvk.has(key)) byGvk.set(key, name);
    }
  }
  return { definitions, byGvk };
}

/** Follows a `$ref` (`#/definitions/NAME` or `#/components/schemas/NAME`) to its definition. */
function deref(schema: PatchSchema, node: unknown): Schema | undefined {
  if (!isMapValue(node)) return undefined;
  const ref = node.$ref;
  if (typeof ref !== 'string') return node;
  return schema.definitions[ref.slice(ref.lastIndexOf('/') + 1)];
}

/** The definition of an object's type, by its apiVersion and kind. */
export function rootSchema(schema: PatchSchema, apiVersion: string, kind: string): Schema | undefined {
  const slash = apiVersion.indexOf('/');
  const [group, version] = slash < 0 ? ['', apiVersion] : [apiVersion.slice(0, slash), apiVersion.slice(slash + 1)];
  const name = schema.byGvk.get(`${group}/${version}/${kind}`);
  return name === undefined ? undefined : schema.definitions[name];
}

export type ListStrategy = { type: 'key'; keys: string[] } | { type: 'primitive' } | { type: 'replace' };

/**
 * How the list at `path` + `field` merges (path: field names from the object's root, list items transparent):
 * `x-kubernetes-patch-strategy: merge` with `x-kubernetes-list-map-keys` or `x-kubernetes-patch-merge-key` merges
 * by those keys, without a key it is a set of primitives; anything else, or no schema, replaces.
 */
export function schemaListStrategy(
  schema: PatchSchema,
  root: Schema | undefined,
  path: readonly string[],
  field: string,
): ListStrategy {
  const names = [...path, field];
  let node: Schema | undefined = root;
  for (const [i, name] of names.entries()) {
    const props = node?.properties;
    let next = isMapValue(props) ? deref(schema, props[name]) : undefined;
    // Lists are transparent in the path: a field above the last one steps into the list's items.
    if (next && i < names.length - 1 && next.items !== undefined) next = deref(schema, next.items);
    node = next;
  }
  if (!node) return { type: 'replace' };
  const strategy = node['x-kubernetes-patch-strategy'];
  if (typeof strategy !== 'string' || !strategy.split(',').includes('merge')) return { type: 'replace' };
  const mapKeys = node['x-kubernetes-list-map-keys'];
  if (Array.isArray(mapKeys) && mapKeys.length > 0) return { type: 'key', keys: mapKeys.map(String) };
  const key = node['x-kubernetes-patch-merge-key'];
  return typeof key === 'string' && key ? { type: 'key', keys: [key] } : { type: 'primitive' };
}
