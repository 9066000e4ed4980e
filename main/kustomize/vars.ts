/**
 * `vars` (deprecated in kustomize, still common in old Flux repositories): `$(NAME)` in the var reference fields is
 * replaced by a field of the resource the var's objref names. Kustomize binds each var to its resource at the level
 * that declares it (by any id the resource has had there), then resolves every var once at the top, after hash
 * suffixes and name references, so a var of `metadata.name` sees the final name.
 */
import { groupOf } from '../util/kube-object.ts';
import { KustomizeError } from './errors.ts';
import { applyFieldSpecs, type FieldSpec } from './field-specs.ts';
import { resolvePath, splitFieldPath } from './replacements.ts';
import { allIds, isMapValue, isNamespaced, type Res, versionOf } from './resource.ts';
import { scalarSpelling } from './yaml-parse.ts';
import { formatGoFloat, resolvePlain } from './yaml-scalars.ts';

export interface VarObjRef {
  apiVersion?: string;
  group?: string;
  version?: string;
  kind?: string;
  name?: string;
  namespace?: string;
}

export interface Var {
  name: string;
  objref: VarObjRef;
  fieldref: { fieldPath: string };
}

const workloads: [string, string][] = [
  ['CronJob', 'spec/jobTemplate/spec/template/spec'],
  ['DaemonSet', 'spec/template/spec'],
  ['Deployment', 'spec/template/spec'],
  ['Job', 'spec/template/spec'],
  ['Pod', 'spec'],
  ['ReplicaSet', 'spec/template/spec'],
  ['StatefulSet', 'spec/template/spec'],
];
const CONTAINER_FIELDS = ['args', 'command', 'env/value', 'volumeMounts/mountPath'];

/** Kustomize's default varReference configuration (api/konfig/builtinpluginconsts/varreference.go). */
export const VAR_REFERENCE_SPECS: FieldSpec[] = [
  ...workloads.flatMap(([kind, spec]) => [
    ...['containers', 'initContainers'].flatMap((c) =>
      CONTAINER_FIELDS.map((f) => ({ kind, path: `${spec}/${c}/${f}` })),
    ),
    kind === 'StatefulSet'
      ? { kind, path: 'spec/volumeClaimTemplates/spec/nfs/server' }
      : { kind, path: `${spec}/volumes/nfs/server` },
  ]),
  { kind: 'Ingress', path: 'spec/rules/host' },
  { kind: 'Ingress', path: 'spec/tls/hosts' },
  { kind: 'Ingress', path: 'spec/tls/secretName' },
  { kind: 'Service', path: 'spec/ports/port' },
  { kind: 'Service', path: 'spec/ports/targetPort' },
  { kind: 'PersistentVolume', path: 'spec/nfs/server' },
  { path: 'metadata/labels' },
  { path: 'metadata/annotations' },
];

/** The objref's group and version: `apiVersion` wins over `version`, and over `group` unless it has none. */
function refGvk(ref: VarObjRef): { group: string; version: string; kind: string } {
  const kind = ref.kind ?? '';
  if (!ref.apiVersion) return { group: ref.group ?? '', version: ref.version ?? '', kind };
  const g = groupOf(ref.apiVersion);
  return { group: g || (ref.group ?? ''), version: versionOf(ref.apiVersion), kind };
}

/** Kustomize's Gvk.String() as its var messages print it: `Kind.version.group`. */
function describeVar(v: Var): string {
  const { group, version, kind } = refGvk(v.objref);
  return `{${v.name} ${kind || '[noKind]'}.${version || '[noVer]'}.${group || '[noGrp]'} {${v.fieldref.fieldPath}}}`;
}

/** Whether a resource answers to the var's objref under any id it has had (kustomize's GetMatchingResourcesByAnyId). */
function answersTo(r: Res, v: Var): boolean {
  const { group, version, kind } = refGvk(v.objref);
  if (groupOf(r.obj.apiVersion) !== group || versionOf(r.obj.apiVersion) !== version) return false;
  const ns = v.objref.namespace ?? '';
  // An empty namespace matches any namespace, unless the kind is cluster-scoped (kustomize's GvknEquals vs Equals).
  const anyNamespace = ns === '' && isNamespaced({ kind, apiVersion: v.objref.apiVersion ?? 'v1' });
  const same = (a: string): boolean => (a || 'default') === (ns || 'default');
  return allIds(r).some(
    (id) => id.kind === kind && id.name === (v.objref.name ?? '') && (anyNamespace || same(id.namespace)),
  );
}

/**
 * Binds this level's vars to their resources (kustomize's MergeVars): an objref that matches two resources is an
 * error, one that matches none is left for resolution to report. `known` holds the names of every var declared so
 * far in the build; a name may be declared once.
 */
export function bindVars(list: Res[], vars: readonly Var[], known: Set<string>, file: string): void {
  for (const v of vars) {
    const matched = list.filter((r) => answersTo(r, v));
    if (matched.length > 1) {
      throw new KustomizeError({
        file,
        message: `found ${matched.length} resId matches for var ${describeVar(v)} (unable to disambiguate)`,
      });
    }
    const [res] = matched;
    if (res) res.refVars = [...(res.refVars ?? []), v.name];
  }
  for (const v of vars) {
    if (known.has(v.name)) throw new KustomizeError({ file, message: `var '${v.name}' already encountered` });
    known.add(v.name);
  }
}

type Primitive = string | number | bigint | boolean;

function isPrimitive(v: unknown): v is Primitive {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean';
}

/** Go's fmt.Sprint of a value decoded from YAML. */
function sprint(v: Primitive): string {
  if (typeof v === 'number' && !Number.isInteger(v)) return formatGoFloat(v);
  return String(v);
}

/** A field path as kyaml's GetFieldValue reads it: dots, with `ports[0]` meaning the list's first element. */
function lookupTokens(path: string): string[] {
  return splitFieldPath(path).flatMap((t) => {
    const m = /^(.*)\[(\d+)\]$/.exec(t);
    if (!m) return [t];
    return m[1] ? [m[1], m[2] ?? ''] : [m[2] ?? ''];
  });
}

/**
 * kyaml's GetFieldValue reads an int with strconv.Atoi and a float with ParseFloat, so an int written `0x10`, `0o17`
 * or `1_000` (or a float written `.inf`) is "not found" for a var.
 */
function readableByGo(parent: object, key: string | number, value: unknown): boolean {
  if (typeof value !== 'number') return true;
  const text = scalarSpelling(parent, key);
  if (text === undefined) return true;
  const tag = resolvePlain(text).tag;
  if (tag === 'int') return /^[-+]?[0-9]+$/.test(text);
  return tag !== 'float' || /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/.test(text);
}

/** Each declared var's value, read from the resource it was bound to (kustomize's makeVarReplacementMap). */
export function varValues(list: readonly Res[], vars: readonly Var[], file: string): Map<string, unknown> {
  const values = new Map<string, unknown>();
  for (const v of vars) {
    const res = list.find((r) => r.refVars?.includes(v.name));
    if (!res) {
      throw new KustomizeError({
        file,
        message: `var '${describeVar(v)}' cannot be mapped to a field in the set of known resources`,
      });
    }
    const [slot] = resolvePath(res.obj, lookupTokens(v.fieldref.fieldPath), false);
    const value = slot ? (slot.parent as Record<string | number, unknown>)[slot.key] : undefined;
    if (value === undefined || (slot && !readableByGo(slot.parent, slot.key, value))) {
      throw new KustomizeError({
        file,
        message: `field specified in var '${describeVar(v)}' not found in corresponding resource`,
      });
    }
    values.set(v.name, value);
  }
  return values;
}

/**
 * Kustomize's expansion.Expand: `$(NAME)` becomes the var's value, `$$` an escaped `$`; an unknown name, or a var
 * whose value is a map, list or null, stays as written. A string that is exactly one reference takes the value's
 * own type (`$(PORT)` becomes the number 8080).
 */
export function expand(input: string, values: ReadonlyMap<string, unknown>, used: Set<string>): unknown {
  const lookup = (name: string): Primitive => {
    const v = values.get(name);
    if (!isPrimitive(v)) return `$(${name})`;
    used.add(name);
    return v;
  };
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== '$' || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    const next = input[cursor + 1];
    let advance = 1;
    if (next === '$') out += '$';
    else if (next === '(') {
      const close = input.indexOf(')', cursor + 2);
      if (close < 0) out += '$(';
      else {
        const name = input.slice(cursor + 2, close);
        const mapped = lookup(name);
        if (input === `$(${name})`) return mapped;
        out += sprint(mapped);
        advance = close - cursor;
      }
    } else out += `$${next ?? ''}`;
    cursor += advance;
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}

/** Replaces `$(NAME)` in the var reference fields of every resource (kustomize's refvar filter). */
export function resolveVars(
  list: readonly Res[],
  values: ReadonlyMap<string, unknown>,
  specs: readonly FieldSpec[],
  file: string,
): void {
  if (values.size === 0) return;
  const used = new Set<string>();
  for (const r of list) {
    applyFieldSpecs(r.obj, specs, (parent, key) => {
      const node = parent[key];
      if (typeof node === 'string') parent[key] = expand(node, values, used);
      else if (Array.isArray(node)) {
        node.forEach((item, i) => {
          if (typeof item !== 'string') {
            throw new KustomizeError({
              file,
              message: `vars: invalid value type in ${r.obj.kind} ${r.obj.metadata.name ?? ''} field ${key}: expect a string`,
            });
          }
          node[i] = expand(item, values, used);
        });
      } else if (isMapValue(node)) {
        for (const [k, item] of Object.entries(node))
          if (typeof item === 'string') node[k] = expand(item, values, used);
      }
    });
    // Kustomize writes annotations back as strings; labels keep the type a whole-string var gave them.
    const annotations = r.obj.metadata.annotations as Record<string, unknown> | undefined;
    if (annotations) {
      for (const [k, v] of Object.entries(annotations))
        if (isPrimitive(v) && typeof v !== 'string') annotations[k] = sprint(v);
    }
  }
}
