/**
 * RFC 6902 JSON patches (add, remove, replace, move, copy, test) over plain values, with RFC 6901 pointers and `-`
 * for the end of an array. Errors name the operation and the pointer that failed.
 */
import { isMapValue, withoutKeys } from './resource.ts';

export interface JsonPatchOp {
  op: string;
  path: string;
  from?: string;
  value?: unknown;
}

function parsePointer(p: string): string[] {
  if (p === '') return [];
  if (!p.startsWith('/')) throw new Error(`JSON pointer '${p}' must start with '/'`);
  return p
    .slice(1)
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
}

/**
 * An array index as kustomize's json-patch (evanphx v4) reads it: strconv.Atoi (`01` and `+1` are fine) and negative
 * indexes counted from the end; for add the array is one longer, so `-1` appends.
 */
function arrayIndex(arr: unknown[], tok: string, forAdd: boolean, pointer: string): number {
  if (tok === '-' && forAdd) return arr.length;
  if (!/^[+-]?[0-9]+$/.test(tok)) throw new Error(`invalid array index '${tok}' in '${pointer}'`);
  const size = forAdd ? arr.length + 1 : arr.length;
  let i = Number(tok);
  if (i < 0 && i >= -size) i += size;
  if (i < 0 || i >= size) throw new Error(`array index ${tok} out of range in '${pointer}'`);
  return i;
}

function parentOf(doc: unknown, tokens: string[], pointer: string): unknown {
  let cur = doc;
  for (const tok of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(cur, tok, false, pointer)];
    else if (isMapValue(cur) && Object.hasOwn(cur, tok)) cur = cur[tok];
    else throw new Error(`path '${pointer}' does not exist`);
  }
  return cur;
}

function getAt(doc: unknown, pointer: string): unknown {
  let cur = doc;
  for (const tok of parsePointer(pointer)) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(cur, tok, false, pointer)];
    else if (isMapValue(cur) && Object.hasOwn(cur, tok)) cur = cur[tok];
    else throw new Error(`path '${pointer}' does not exist`);
  }
  return cur;
}

/** Removes the value at `pointer`; returns the document (a new one when the root map lost a key) and the value. */
function removeAt(doc: unknown, pointer: string): { doc: unknown; removed: unknown } {
  const tokens = parsePointer(pointer);
  const last = tokens[tokens.length - 1];
  if (last === undefined) throw new Error('cannot remove the whole document');
  const parent = parentOf(doc, tokens, pointer);
  if (Array.isArray(parent)) return { doc, removed: parent.splice(arrayIndex(parent, last, false, pointer), 1)[0] };
  if (isMapValue(parent) && Object.hasOwn(parent, last)) {
    // The map is replaced by a copy without the key, put back where it was (or made the new root).
    const rest = withoutKeys(parent, [last]);
    const up = tokens.slice(0, -1);
    return { doc: up.length === 0 ? rest : setAt(doc, up, pointer, rest, true), removed: parent[last] };
  }
  throw new Error(`path '${pointer}' does not exist`);
}

function addAt(doc: unknown, pointer: string, value: unknown, replace: boolean): unknown {
  return setAt(doc, parsePointer(pointer), pointer, value, replace);
}

function setAt(doc: unknown, tokens: string[], pointer: string, value: unknown, replace: boolean): unknown {
  const last = tokens[tokens.length - 1];
  // kustomize's json-patch cannot add or replace the whole document.
  if (last === undefined) throw new Error(`path '${pointer}' does not exist`);
  const parent = parentOf(doc, tokens, pointer);
  if (Array.isArray(parent)) {
    const i = arrayIndex(parent, last, !replace, pointer);
    parent.splice(i, replace ? 1 : 0, value);
  } else if (isMapValue(parent)) {
    // kustomize's json-patch (evanphx v4) replaces a missing key of an existing map by adding it; only list indexes
    // and missing parents are refused.
    parent[last] = value;
  } else throw new Error(`path '${pointer}' does not exist`);
  return doc;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  if (isMapValue(a) && isMapValue(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/** Applies the operations in order to a copy of `doc`. */
export function applyJsonPatch(doc: unknown, ops: readonly JsonPatchOp[]): unknown {
  let out = structuredClone(doc);
  for (const op of ops) {
    try {
      switch (op.op) {
        case 'add':
          out = addAt(out, op.path, structuredClone(op.value), false);
          break;
        case 'replace':
          out = addAt(out, op.path, structuredClone(op.value), true);
          break;
        case 'remove':
          out = removeAt(out, op.path).doc;
          break;
        case 'move': {
          const { doc: rest, removed } = removeAt(out, op.from ?? '');
          out = addAt(rest, op.path, removed, false);
          break;
        }
        case 'copy':
          out = addAt(out, op.path, structuredClone(getAt(out, op.from ?? '')), false);
          break;
        case 'test':
          if (!deepEqual(getAt(out, op.path), op.value)) throw new Error(`test failed at '${op.path}'`);
          break;
        default:
          throw new Error(`unknown operation '${op.op}'`);
      }
    } catch (err) {
      throw new Error(`JSON patch operation ${op.op} ${op.path}: ${(err as Error).message}`, { cause: err });
    }
  }
  return out;
}
