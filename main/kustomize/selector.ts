/**
 * Resource selection for patch targets (kustomize's SelectorRegex): group, version, kind, name and namespace are
 * anchored regular expressions; the group, version and kind are matched against the current ones, the name and
 * namespace against the original or the current value; Kubernetes label and annotation selector expressions
 * (`a=b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`).
 */
import { groupOf } from '../util/kube-object.ts';
import { KustomizeError } from './errors.ts';
import { allIds, isNamespaced, nameOf, namespaceOf, originalId, type PrevId, type Res, versionOf } from './resource.ts';

export interface Selector {
  group?: string;
  version?: string;
  kind?: string;
  name?: string;
  namespace?: string;
  labelSelector?: string;
  annotationSelector?: string;
}

type Requirement = (labels: Record<string, string>) => boolean;

function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of s) {
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (c === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out.map((p) => p.trim()).filter((p) => p !== '');
}

/** The value of a label (or annotation); own keys only, so a key such as `constructor` is not found on every map. */
function labelValue(labels: Record<string, string>, key: string): string | undefined {
  return Object.hasOwn(labels, key) ? labels[key] : undefined;
}

/** Parses a Kubernetes label selector string into one predicate. */
export function parseLabelSelector(expr: string): Requirement {
  const reqs: Requirement[] = splitTopLevel(expr).map((part) => {
    let m = /^(\S+)\s+(in|notin)\s+\((.*)\)$/.exec(part);
    if (m) {
      const [, key = '', op, list = ''] = m;
      const values = new Set(list.split(',').map((v) => v.trim()));
      const isIn = (l: Record<string, string>): boolean => {
        const v = labelValue(l, key);
        return v !== undefined && values.has(v);
      };
      return op === 'in' ? isIn : (l) => !isIn(l);
    }
    m = /^([^!=\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(part);
    if (m) {
      const [, key = '', op, value = ''] = m;
      return op === '!=' ? (l) => labelValue(l, key) !== value : (l) => labelValue(l, key) === value;
    }
    m = /^!\s*(\S+)$/.exec(part);
    if (m) {
      const [, key = ''] = m;
      return (l) => labelValue(l, key) === undefined;
    }
    if (/^\S+$/.test(part)) return (l) => labelValue(l, part) !== undefined;
    throw new KustomizeError({ message: `invalid label selector '${expr}'` });
  });
  return (labels) => reqs.every((r) => r(labels));
}

function anchored(pattern: string): RegExp {
  try {
    return new RegExp(`^(?:${pattern})$`);
  } catch (err) {
    throw new KustomizeError({ message: `invalid regular expression '${pattern}' in target selector` }, { cause: err });
  }
}

function effectiveNs(r: Res, ns: string): string {
  return isNamespaced(r.obj) ? ns || 'default' : '';
}

/** An anchored pattern for a non-empty selector field; an empty or absent one matches everything. */
function optional(pattern: unknown): RegExp | undefined {
  return typeof pattern === 'string' && pattern !== '' ? anchored(pattern) : undefined;
}

/** Builds a predicate for the selector, compiled once. */
export function compileSelector(sel: Selector): (r: Res) => boolean {
  const group = optional(sel.group);
  const version = optional(sel.version);
  const kind = optional(sel.kind);
  const name = optional(sel.name);
  const ns = optional(sel.namespace);
  const labels = sel.labelSelector ? parseLabelSelector(sel.labelSelector) : undefined;
  const annotations = sel.annotationSelector ? parseLabelSelector(sel.annotationSelector) : undefined;
  return (r) => {
    if (group && !group.test(groupOf(r.obj.apiVersion))) return false;
    if (version && !version.test(versionOf(r.obj.apiVersion))) return false;
    if (kind && !kind.test(r.obj.kind)) return false;
    const org = originalId(r);
    if (name && !name.test(org.name) && !name.test(nameOf(r))) return false;
    if (ns && !ns.test(effectiveNs(r, org.namespace)) && !ns.test(effectiveNs(r, namespaceOf(r)))) return false;
    if (labels && !labels(r.obj.metadata.labels ?? {})) return false;
    if (annotations && !annotations(r.obj.metadata.annotations ?? {})) return false;
    return true;
  };
}

/** Kustomize's Gvk.IsSelected plus name and namespace equality: ResId.IsSelectedBy, exact, empty fields match all. */
function idSelectedBy(r: Res, id: PrevId, sel: Selector): boolean {
  if (sel.name && sel.name !== id.name) return false;
  if (sel.namespace && effectiveNs(r, sel.namespace) !== effectiveNs(r, id.namespace)) return false;
  if (sel.kind && sel.kind !== id.kind) return false;
  if (sel.group && sel.group !== groupOf(r.obj.apiVersion)) return false;
  return !sel.version || sel.version === versionOf(r.obj.apiVersion);
}

function hasId(sel: Selector): boolean {
  return Boolean(sel.name || sel.namespace || sel.kind || sel.group || sel.version);
}

/**
 * Selection for replacements (kustomize's replacement filter): exact group, version, kind, name and namespace
 * matched against any id the resource has had (current or earlier, before prefixes, suffixes and kind changes),
 * plus the label and annotation selectors. A resource is rejected when any reject selector names one of its ids or
 * matches its labels and annotations.
 */
export function compileIdSelector(sel: Selector, rejects: readonly Selector[] = []): (r: Res) => boolean {
  const labels = sel.labelSelector ? parseLabelSelector(sel.labelSelector) : undefined;
  const annotations = sel.annotationSelector ? parseLabelSelector(sel.annotationSelector) : undefined;
  const rejectMeta = rejects
    .filter((rej) => rej.labelSelector || rej.annotationSelector)
    .map((rej) => compileSelector({ labelSelector: rej.labelSelector, annotationSelector: rej.annotationSelector }));
  const rejectIds = rejects.filter(hasId);
  return (r) => {
    if (labels && !labels(r.obj.metadata.labels ?? {})) return false;
    if (annotations && !annotations(r.obj.metadata.annotations ?? {})) return false;
    if (rejectMeta.some((rej) => rej(r))) return false;
    const ids = allIds(r);
    if (rejectIds.some((rej) => ids.some((id) => idSelectedBy(r, id, rej)))) return false;
    return ids.some((id) => idSelectedBy(r, id, sel));
  };
}
