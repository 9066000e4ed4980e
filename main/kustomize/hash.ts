/**
 * The content-hash suffix kustomize appends to generated ConfigMaps and Secrets: SHA-256 over Go's JSON encoding of
 * `{kind, name: "", data, binaryData}` (Secrets: `{kind, type, name, data, stringData}`), first ten hex digits with
 * 0,1,3,a,e swapped for g,h,k,m,t so the suffix never looks like a number or a word.
 */
import { createHash } from 'node:crypto';

import type { KubeObject } from '../util/kube-object.ts';
import { isMapValue } from './resource.ts';

const GO_ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

function goString(s: string): string {
  let out = '"';
  for (const c of s) {
    const e = GO_ESCAPES[c];
    if (e !== undefined) out += e;
    else if (c < ' ') out += `\\u00${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
    else out += c;
  }
  return out + '"';
}

/** Go's encoding/json output for plain values: map keys sorted, HTML characters escaped. */
export function goJson(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return goString(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return `[${v.map(goJson).join(',')}]`;
  if (isMapValue(v)) {
    const keys = Object.keys(v).sort();
    return `{${keys.map((k) => `${goString(k)}:${goJson(v[k])}`).join(',')}}`;
  }
  return 'null';
}

export function encodeHash(hex: string): string {
  const map: Record<string, string> = { '0': 'g', '1': 'h', '3': 'k', a: 'm', e: 't' };
  return hex.slice(0, 10).replace(/[013ae]/g, (c) => map[c] ?? c);
}

function nonEmpty(v: unknown): boolean {
  return isMapValue(v) ? Object.keys(v).length > 0 : v !== undefined && v !== null;
}

/** The suffix (without the dash) kustomize would give this ConfigMap or Secret. */
export function contentHash(obj: KubeObject): string {
  // kustomize's encoder never fills in the name (it reads it from a path that is not there), so the hash covers the
  // content only and stays the same when prefixes or suffixes change the name.
  // Without a data field kustomize's encoder hashes `"data":""` (the empty string it reads for a missing field).
  const m: Record<string, unknown> = { kind: obj.kind, name: '', data: obj.data ?? '' };
  if (obj.kind === 'Secret') {
    m.type = obj.type ?? '';
    if (nonEmpty(obj.stringData)) m.stringData = obj.stringData;
  } else if (nonEmpty(obj.binaryData)) m.binaryData = obj.binaryData;
  return encodeHash(createHash('sha256').update(goJson(m)).digest('hex'));
}
