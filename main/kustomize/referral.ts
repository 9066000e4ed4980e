/**
 * Choosing the resource a name reference points at, as kustomize's nameref filter does (api/filters/nameref): the
 * candidates a referrer could see, then a sieve over the candidates' earlier ids (a name a transformer has since
 * changed), the referral's kind, a roleRef's group and kind, the referrer's namespace, and finally the prefixes and
 * suffixes the referrer and candidate were given. More than one different survivor is an error, as in kustomize.
 */
import { groupOf } from '../util/kube-object.ts';
import { KustomizeError } from './errors.ts';
import { describeRes, isMapValue, isNamespaced, nameOf, namespaceOf, originalId, type Res } from './resource.ts';

export interface ReferralGvk {
  kind: string;
  group?: string;
}

export interface ReferralQuery {
  referrer: Res;
  oldName: string;
  /** The kind (and group) of the referral the field names. */
  target: ReferralGvk;
  /** For `roleRef/name`: the roleRef's own apiGroup and kind. */
  roleRef?: ReferralGvk;
  /** A `{name, namespace}` reference: survivors are the same only when names and namespaces are. */
  withNamespace: boolean;
}

function effectiveNs(r: Res, ns: string): string {
  return isNamespaced(r.obj) ? ns || 'default' : '';
}

/** The namespaces a RoleBinding's ServiceAccount subjects name (kustomize's getNamespacesForRoleBinding). */
function subjectNamespaces(referrer: Res): Set<string> {
  const out = new Set<string>();
  if (referrer.obj.kind !== 'RoleBinding' || !Array.isArray(referrer.obj.subjects)) return out;
  for (const s of referrer.obj.subjects as unknown[]) {
    if (isMapValue(s) && s.kind === 'ServiceAccount' && typeof s.namespace === 'string') out.add(s.namespace);
  }
  return out;
}

/**
 * Kustomize refuses a RoleBinding whose ServiceAccount subject has a namespace that is not a string (`namespace:`
 * left blank) while it works out what the binding may refer to, which it does for every RBAC RoleBinding.
 */
export function checkRoleBindingSubjects(all: readonly Res[]): void {
  for (const r of all) {
    const { obj } = r;
    if (obj.kind !== 'RoleBinding' || groupOf(obj.apiVersion) !== 'rbac.authorization.k8s.io') continue;
    if (!Array.isArray(obj.subjects)) continue;
    for (const s of obj.subjects as unknown[]) {
      if (!isMapValue(s) || s.kind !== 'ServiceAccount' || !('namespace' in s)) continue;
      if (typeof s.namespace !== 'string') {
        throw new KustomizeError({
          file: r.source,
          message: `namespace is blank for a ServiceAccount subject of ${describeRes(r)}`,
        });
      }
    }
  }
}

/**
 * The resources a referrer may refer to (kustomize's SubsetThatCouldBeReferencedByResource): anything for a
 * cluster-scoped referrer; otherwise cluster-scoped resources, those in the referrer's namespace, and for a
 * RoleBinding those in the namespaces its ServiceAccount subjects name.
 */
export function referableBy(all: readonly Res[], referrer: Res): Res[] {
  if (!isNamespaced(referrer.obj)) return [...all];
  const ns = effectiveNs(referrer, namespaceOf(referrer));
  const subjectNs = subjectNamespaces(referrer);
  return all.filter(
    (t) => !isNamespaced(t.obj) || effectiveNs(t, namespaceOf(t)) === ns || subjectNs.has(namespaceOf(t)),
  );
}

/** A key such that referrers with the same key see the same candidates (the cache key for referableBy). */
export function referableKey(referrer: Res): string {
  if (!isNamespaced(referrer.obj)) return '';
  const ns = `ns\0${effectiveNs(referrer, namespaceOf(referrer))}`;
  return referrer.obj.kind === 'RoleBinding' ? `${ns}\0${[...subjectNamespaces(referrer)].sort().join('\0')}` : ns;
}

/** Candidates for a reference that names its namespace: by original namespace, else by current namespace. */
export function inNamespace(candidates: readonly Res[], namespace: string): Res[] {
  const byOriginal = candidates.filter((t) => effectiveNs(t, originalId(t).namespace) === namespace);
  if (byOriginal.length > 0) return byOriginal;
  return candidates.filter((t) => effectiveNs(t, namespaceOf(t)) === namespace);
}

function gvkSelected(r: Res, kind: string, sel: ReferralGvk): boolean {
  return (!sel.kind || sel.kind === kind) && (!sel.group || sel.group === groupOf(r.obj.apiVersion));
}

/** Kustomize's SameEndingSubSlice: the shorter list is the tail of the longer one (both empty counts). */
function sameEnding(a: readonly string[], b: readonly string[]): boolean {
  const [short, long] = a.length <= b.length ? [a, b] : [b, a];
  if (short.length === 0) return long.length === 0;
  const diff = long.length - short.length;
  return short.every((s, i) => long[i + diff] === s);
}

/** Kustomize's PrefixesSuffixesEquals; with allowEmpty a side without prefixes (or suffixes) matches any. */
function sameAffixes(r: Res, o: Res, allowEmpty: boolean): boolean {
  const ok = (x: readonly string[], y: readonly string[]): boolean =>
    (allowEmpty && (x.length === 0 || y.length === 0)) || sameEnding(x, y);
  return ok(r.prefixes, o.prefixes) && ok(r.suffixes, o.suffixes);
}

function sameNamespaceAsReferrer(referrer: Res): (t: Res) => boolean {
  if (!isNamespaced(referrer.obj)) return () => true;
  const ns = effectiveNs(referrer, namespaceOf(referrer));
  // Service accounts pass: a binding in another namespace may name them.
  return (t) => !isNamespaced(t.obj) || t.obj.kind === 'ServiceAccount' || effectiveNs(t, namespaceOf(t)) === ns;
}

function allSame(list: readonly Res[], withNamespace: boolean): boolean {
  const [first] = list;
  if (first === undefined) return true;
  return list.every((t) => nameOf(t) === nameOf(first) && (!withNamespace || namespaceOf(t) === namespaceOf(first)));
}

/**
 * The referral a name points at, or undefined when none was renamed from it (nothing to update). Only earlier ids
 * count, as in kustomize: a resource never renamed needs no reference fixed.
 */
export function selectReferral(candidates: readonly Res[], q: ReferralQuery): Res | undefined {
  const { roleRef } = q;
  let list = candidates.filter(
    (t) =>
      t.history.some((id) => id.name === q.oldName) &&
      t.history.some((id) => gvkSelected(t, id.kind, q.target)) &&
      (roleRef === undefined || t.history.some((id) => gvkSelected(t, id.kind, roleRef))),
  );
  list = list.filter(sameNamespaceAsReferrer(q.referrer));
  if (list.length === 1) return list[0];
  list = list.filter((t) => sameAffixes(t, q.referrer, true));
  if (list.length > 1) list = list.filter((t) => sameAffixes(t, q.referrer, false));
  if (list.length <= 1 || allSame(list, q.withNamespace)) return list[0];
  throw new KustomizeError({
    file: q.referrer.source,
    message: `found multiple possible referrals for '${q.oldName}' in ${describeRes(q.referrer)}: ${list.map(describeRes).join(', ')}`,
  });
}
