/**
 * Editing a Flux object in place, the way Flux's docs tell people to: the editor shows what a person may change
 * (apiVersion, kind, name and namespace, labels, annotations, spec), and the edit goes back as a JSON merge patch
 * (RFC 7386) of exactly what changed, with the field manager `flux-client-side-apply`. Pure: the port reads the live
 * object and sends the patch.
 */
import { isMap as isYamlMap, LineCounter, parseDocument } from 'yaml';

import { FluxdeckError, type FluxKey } from '../contract/index.ts';
import type { KubeObject } from '../util/kube-object.ts';

type Json = Record<string, unknown>;

import { LAST_APPLIED } from '../kube/secret-redaction.ts';
const isMap = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The object as the editor shows it: no status, no server-set metadata, no kubectl's last-applied copy. */
export function editableForm(obj: KubeObject): Json {
  const { labels, annotations } = obj.metadata;
  const kept = annotations && Object.fromEntries(Object.entries(annotations).filter(([k]) => k !== LAST_APPLIED));
  return {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    metadata: {
      name: obj.metadata.name,
      namespace: obj.metadata.namespace,
      ...(labels && Object.keys(labels).length > 0 && { labels }),
      ...(kept && Object.keys(kept).length > 0 && { annotations: kept }),
    },
    ...(obj.spec !== undefined && { spec: obj.spec }),
  };
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isMap(a) && isMap(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/**
 * The JSON merge patch that turns `from` into `to`, or undefined if they are equal. Lists are replaced whole (a merge
 * patch cannot address list items); removed keys become null.
 */
export function mergePatch(from: unknown, to: unknown): unknown {
  if (!isMap(from) || !isMap(to)) return deepEqual(from, to) ? undefined : to;
  const patch: Json = {};
  for (const key of Object.keys(from)) if (!Object.hasOwn(to, key)) patch[key] = null;
  for (const [key, value] of Object.entries(to)) {
    if (!Object.hasOwn(from, key)) patch[key] = value;
    else {
      const sub = mergePatch(from[key], value);
      if (sub !== undefined) patch[key] = sub;
    }
  }
  return Object.keys(patch).length > 0 ? patch : undefined;
}

/** The fields a merge patch sets or removes, as dotted paths (`spec.interval`, `metadata.labels.team`). */
export function patchedFields(patch: unknown, prefix = ''): string[] {
  if (!isMap(patch)) return prefix ? [prefix] : [];
  return Object.entries(patch).flatMap(([k, v]) => {
    const path = prefix ? `${prefix}.${k}` : k;
    return isMap(v) && Object.keys(v).length > 0 ? patchedFields(v, path) : [path];
  });
}

const where = (key: FluxKey): string => `${key.kind} ${key.namespace}/${key.name}`;

/**
 * Parses the edited YAML and checks it is still the same object and changes only what a person may change. Errors
 * name the line and column, and say what to fix.
 */
export function parseEdit(key: FluxKey, apiVersion: string, text: string): Json {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter });
  const problem = doc.errors[0];
  if (problem) {
    const at = lineCounter.linePos(problem.pos[0]);
    throw new FluxdeckError(
      'invalid-request',
      `The edited ${where(key)} is not valid YAML (line ${at.line}, column ${at.col}): ${problem.message.split('\n')[0]}. Fix it, then apply again.`,
      { details: { line: at.line, column: at.col } },
    );
  }
  if (!isYamlMap(doc.contents))
    throw new FluxdeckError(
      'invalid-request',
      `The edited ${where(key)} must be one YAML mapping (apiVersion, kind, metadata, spec).`,
    );
  const edited = doc.toJS() as Json;
  const meta = isMap(edited.metadata) ? edited.metadata : {};
  const refuse = (what: string): never => {
    throw new FluxdeckError(
      'invalid-request',
      `The edit of ${where(key)} ${what}; only labels, annotations and spec can be changed here.`,
    );
  };
  if (edited.apiVersion !== apiVersion)
    refuse(`changes apiVersion to ${String(edited.apiVersion)} (it is ${apiVersion})`);
  if (edited.kind !== key.kind) refuse(`changes kind to ${String(edited.kind)}`);
  if (meta.name !== key.name || (meta.namespace ?? key.namespace) !== key.namespace)
    refuse('renames the object or moves it to another namespace');
  const unknown = Object.keys(edited).filter((k) => !['apiVersion', 'kind', 'metadata', 'spec'].includes(k));
  if (unknown.length > 0) refuse(`sets ${unknown.join(', ')} (status is written by the controller)`);
  const metaUnknown = Object.keys(meta).filter((k) => !['name', 'namespace', 'labels', 'annotations'].includes(k));
  if (metaUnknown.length > 0) refuse(`sets metadata.${metaUnknown.join(', metadata.')}`);
  return { ...edited, metadata: { ...meta, namespace: key.namespace } };
}
