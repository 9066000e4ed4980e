/**
 * Strategic merge of a list whose schema names several list-map keys (container ports: containerPort and protocol;
 * Service ports: port and protocol; topologySpreadConstraints: topologyKey and whenUnsatisfiable), done step by step
 * as kyaml's walker does it in kustomize v5.5 (kyaml/yaml/walk/associative_sequence.go with yaml.ElementSetter).
 *
 * kyaml's result is not a plain "merge by all keys": it collects every key tuple of the patch and then the target,
 * fills a missing secondary key from a tuple that agrees on the others, looks elements up by the keys that have
 * values, merges matches in place, and finally re-adds the target's elements with "delete every element matching
 * this element's keys, then append it". So when the patch and the target disagree on whether `protocol` is set, the
 * patch's element is dropped and the target's elements move behind the patch's new ones (base [80/TCP, 90], patch
 * [80 name:http, 90/TCP name:b, 100] → [100, 80/TCP, 90]). Reproducing that needs the walker's identities: elements
 * are boxed so that "the same node" stays the same while it is merged in place and moved between lists.
 */
import { isMapValue } from './resource.ts';
import { copyMap, scalarText } from './yaml-parse.ts';
import { resolvePlain } from './yaml-scalars.ts';

/** One list element: a YAML node whose value can be replaced in place while lists hold the same box. */
interface Box {
  v: unknown;
}

export interface ElementMerge {
  /** Merges a patch element into a target element (kyaml's walk of the pair); undefined when the result is cleared. */
  merge(dest: unknown, patch: unknown): unknown;
  /** A patch element the target lacks, as it is added (directives and nulls removed); undefined when cleared. */
  add(patch: unknown): unknown;
  /** A target element the patch does not mention (the walk still visits its keyed lists). */
  keep(dest: unknown): unknown;
}

/** The text kyaml holds for a scalar field (its source spelling), '' for maps and lists. */
function rawText(map: Record<string, unknown>, key: string): string {
  const v = map[key];
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return scalarText(map, key, v);
  if (typeof v === 'bigint') return v.toString();
  return '';
}

/** RNode.ElementValuesList's value of one key: '' when the field is missing, null or an empty map or list. */
function keyText(v: unknown, key: string): string {
  if (!isMapValue(v) || !(key in v)) return '';
  const f = v[key];
  if (f === null || f === undefined) return '';
  if (Array.isArray(f) && f.length === 0) return '';
  if (isMapValue(f) && Object.keys(f).length === 0) return '';
  return rawText(v, key);
}

function isEmptyMap(v: unknown): boolean {
  return isMapValue(v) && Object.keys(v).length === 0;
}

function wrongKind(key: string): Error {
  return new Error(`wrong node kind: expected a map holding ${key} in a list merged by ${key}`);
}

/** yaml.FieldMatcher on a map: the field is present and, when `value` is not empty, has that text. */
function fieldMatches(v: unknown, key: string, value: string): boolean {
  if (!isMapValue(v)) throw wrongKind(key);
  if (!(key in v)) return false;
  return value === '' || rawText(v, key) === value;
}

/**
 * yaml.ElementSetter: drops empty elements, replaces every element matching all keys with `element` (or deletes them
 * without one), and appends `element` when nothing matched. Values shorter than keys match on the first keys only.
 */
function setElement(list: Box[], keys: string[], values: string[], element?: Box): void {
  const mappingSetter = keys.length > 0 && keys[0] !== '' && values.length > 0 && values[0] !== '';
  const out: Box[] = [];
  let found = false;
  for (const elem of list) {
    if (elem.v === null || elem.v === undefined || isEmptyMap(elem.v)) continue;
    if (!isMapValue(elem.v) && mappingSetter) {
      out.push(elem);
      continue;
    }
    let matched = false;
    for (let j = 0; j < keys.length; j++) {
      if (j < values.length) matched = fieldMatches(elem.v, keys[j] ?? '', values[j] ?? '');
      if (!matched) break;
    }
    if (!matched) {
      if (values.length > 0) out.push(elem);
      continue;
    }
    found = true;
    if (element) out.push(element);
  }
  list.splice(0, list.length, ...out);
  if (!element || element.v === null || element.v === undefined) return;
  if (!found) list.push(element);
}

/** yaml.ElementMatcher: the first map element whose fields have exactly these texts. */
function findElement(list: Box[], keys: string[], values: string[]): Box | undefined {
  return list.find(
    (b) => isMapValue(b.v) && keys.every((k, i) => k in (b.v as object) && rawText(b.v as never, k) === values[i]),
  );
}

/** The keys that have a value somewhere in `tuples`, and this tuple's values for them (all keys when none has). */
function validateKeys(tuples: string[][], values: string[], keys: string[]): [string[], string[]] {
  const valid = new Set<string>();
  for (const t of tuples) t.forEach((v, i) => v !== '' && valid.add(keys[i] ?? ''));
  if (valid.size === 0) return [keys, values];
  return [keys.filter((k) => valid.has(k)), values.filter((v, i) => v !== '' || valid.has(keys[i] ?? ''))];
}

/** Two tuples match when they share a value and differ only where one side is empty; the result fills the gaps. */
function matchTuples(a: string[], b: string[]): string[] | undefined {
  if (a.length !== b.length) return undefined;
  let common = false;
  const out: string[] = [];
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? '';
    const y = b[i] ?? '';
    if (x === y) {
      common = true;
      out.push(x);
    } else if (x !== '' && y !== '') return undefined;
    else out.push(x !== '' ? x : y);
  }
  return common ? out : undefined;
}

/** kyaml's mergeValues, including that each row compares with its value from before the row's own updates. */
function mergeTuples(tuples: string[][]): void {
  for (let i = 0; i < tuples.length; i++) {
    const a = tuples[i] ?? [];
    for (let j = 0; j < tuples.length; j++) {
      const merged = matchTuples(a, tuples[j] ?? []);
      if (merged) {
        tuples[i] = merged;
        tuples[j] = merged;
      }
    }
  }
}

/** Target first element list is walked after the patch's (kustomize merges with ListIncreaseDirection Prepend). */
function keyTuples(lists: Box[][], keys: string[]): string[][] {
  const out: string[][] = [];
  const seen = new Set<string>();
  for (const list of lists) {
    for (const b of list) {
      const t = keys.map((k) => keyText(b.v, k));
      const id = JSON.stringify(t);
      if (seen.has(id)) continue;
      seen.add(id);
      out.push(t);
    }
  }
  return out;
}

/** appendListNode: moves each of `src`'s elements to the end of `dst`, deleting what matches its keys first. */
function appendElements(dst: Box[], src: Box[], keys: string[]): void {
  for (const elem of [...src]) {
    const values: string[] = [];
    for (const key of keys) {
      // yaml.Get finds nothing in a null element (and fails on other scalars): it is appended once per key.
      if (elem.v === null || elem.v === undefined) {
        dst.push(elem);
        continue;
      }
      if (!isMapValue(elem.v)) throw wrongKind(key);
      if (!(key in elem.v)) {
        dst.push(elem);
        continue;
      }
      values.push(rawText(elem.v, key));
    }
    if (keys.length > 1) setElement(dst, keys, values);
    setElement(dst, keys, values, elem);
  }
}

/**
 * Merges `patch` into `dest` (undefined: the target lacks the list) by `keys`, as kyaml does for a list with more
 * than one list-map key. Inputs are not modified.
 */
export function mergeKeyedList(
  dest: unknown[] | undefined,
  patch: unknown[],
  keys: string[],
  elements: ElementMerge,
): unknown[] {
  if (patch.length === 0 && dest && distinctByFirstKey(dest, keys[0] ?? '')) return dest.map((d) => elements.keep(d));
  const patchList: Box[] = patch.map((v) => ({ v }));
  // A target without the list merges the patch's list into itself, as kyaml's walker does.
  const destList: Box[] = dest && dest !== patch ? dest.map((v) => ({ v })) : patchList;
  const tuples = keyTuples([patchList, destList], keys);
  mergeTuples(tuples);

  const items: Box[] = [];
  let validKeys = keys;
  for (const tuple of tuples) {
    let validValues: string[];
    [validKeys, validValues] = validateKeys(tuples, tuple, keys);
    const [findKeys, findValues] = validateKeys([validValues], validValues, validKeys);
    const d = findElement(destList, findKeys, findValues);
    const p = findElement(patchList, findKeys, findValues);
    const val = walkElement(d, p, elements);
    if (!val || val.v === null || val.v === undefined || isEmptyMap(val.v)) {
      setElement(destList, validKeys, validValues);
      continue;
    }
    if (isMapValue(val.v)) {
      const missing = validKeys.filter((k, i) => !(k in (val.v as object)) && (validValues[i] ?? '') !== '');
      if (missing.length > 0) {
        const withKeys: Record<string, unknown> = { ...val.v };
        for (const k of missing) withKeys[k] = resolvePlain(validValues[validKeys.indexOf(k)] ?? '').value;
        val.v = withKeys;
      }
    }
    setElement(items, validKeys, validValues, val);
  }
  if (tuples.length === 0) return destList.map((b) => b.v);
  appendElements(items, destList, validKeys);
  return items.map((b) => b.v);
}

/**
 * The common untouched list: every element a map with its own value of the first key. kyaml's walk then finds each
 * element by itself and puts them back in their order, whatever the other keys hold.
 */
function distinctByFirstKey(list: unknown[], key: string): boolean {
  const seen = new Set<string>();
  for (const v of list) {
    const text = keyText(v, key);
    if (text === '' || seen.has(text)) return false;
    seen.add(text);
  }
  return true;
}

/** The walk of one pair of elements: the target's box merged in place, or the patch's own box when it is new. */
function walkElement(d: Box | undefined, p: Box | undefined, elements: ElementMerge): Box | undefined {
  // kyaml reads a `$patch: delete` directive once and removes it from the patch's node: the same element found again
  // for another key tuple is then an ordinary element. A cleared result leaves the target's node alone.
  if (p && isMapValue(p.v) && p.v.$patch === 'delete') {
    const rest = copyMap(p.v);
    delete rest.$patch;
    p.v = rest;
    return undefined;
  }
  if (!d || d.v === null || d.v === undefined) {
    if (!p) return undefined;
    const added = elements.add(p.v);
    if (added === undefined) return undefined;
    p.v = added;
    return p;
  }
  if (!p) {
    d.v = elements.keep(d.v);
    return d;
  }
  const merged = elements.merge(d.v, p.v);
  if (merged === undefined) return undefined;
  d.v = merged;
  return d;
}
