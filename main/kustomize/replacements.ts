/**
 * `replacements`: copy a value from one field of one resource into fields of others. Field paths use kustomize's
 * dotted syntax (`spec.template.spec.containers.[name=app].image`, numeric indices, `*`), with the delimiter/index
 * options for replacing part of a string and `create` for missing fields.
 */
import { KustomizeError } from './errors.ts';
import { isMapValue, type Res } from './resource.ts';
import { compileIdSelector, type Selector } from './selector.ts';
import { scalarSpelling } from './yaml-parse.ts';
import { resolvePlain } from './yaml-scalars.ts';

interface FieldOptions {
  delimiter?: string;
  index?: number;
  create?: boolean;
}

export function splitFieldPath(path: string): string[] {
  const out: string[] = [];
  let cur = '';
  let depth = 0;
  for (const c of path) {
    if (c === '[') depth++;
    if (c === ']') depth--;
    if (c === '.' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out.filter((s) => s !== '');
}

export type Slot = { parent: Record<string, unknown> | unknown[]; key: string | number };

/** Every place a field path reaches; with `create`, missing maps (and the leaf) are made. */
export function resolvePath(root: unknown, tokens: string[], create: boolean): Slot[] {
  let slots: Slot[] = [{ parent: { root }, key: 'root' }];
  for (const token of tokens) {
    // A bracketed name without `=` is a map key that holds dots (`metadata.annotations.[a.b/c]`), as kyaml reads it.
    const tok = /^\[[^=\]]*\]$/.test(token) ? token.slice(1, -1) : token;
    const next: Slot[] = [];
    for (const s of slots) {
      let node = (s.parent as Record<string | number, unknown>)[s.key];
      const match = /^\[([^=\]]+)=([^\]]*)\]$/.exec(tok);
      if (match) {
        if (!Array.isArray(node)) continue;
        const items = node;
        const [, field = '', want = ''] = match;
        const selected = (item: unknown): boolean => isMapValue(item) && String(item[field]) === want;
        items.forEach((item, i) => {
          if (selected(item)) next.push({ parent: items, key: i });
        });
        if (create && !items.some(selected)) {
          items.push({ [field]: want });
          next.push({ parent: items, key: items.length - 1 });
        }
        continue;
      }
      if (tok === '*') {
        if (Array.isArray(node)) node.forEach((_, i) => next.push({ parent: node as unknown[], key: i }));
        else if (isMapValue(node)) for (const k of Object.keys(node)) next.push({ parent: node, key: k });
        continue;
      }
      if (Array.isArray(node) && /^[0-9]+$/.test(tok)) {
        if (Number(tok) < node.length) next.push({ parent: node, key: Number(tok) });
        continue;
      }
      if (node === undefined || node === null) {
        if (!create) continue;
        node = {};
        (s.parent as Record<string | number, unknown>)[s.key] = node;
      }
      if (isMapValue(node) && (tok in node || create)) next.push({ parent: node, key: tok });
    }
    slots = next;
  }
  return slots;
}

/** A source value, with the scalar's source text when it prints differently (see scalarSpelling). */
interface SourceValue {
  value: unknown;
  text?: string;
}

function readSource(list: Res[], source: Record<string, unknown>, file: string): SourceValue {
  const pick = compileIdSelector(source);
  const matches = list.filter(pick);
  const [match] = matches;
  const desc = JSON.stringify(source);
  if (!match) throw new KustomizeError({ file, message: `replacements: nothing selected by source ${desc}` });
  if (matches.length > 1) {
    throw new KustomizeError({ file, message: `replacements: more than one resource selected by source ${desc}` });
  }
  const fieldPath = typeof source.fieldPath === 'string' ? source.fieldPath : 'metadata.name';
  const slots = resolvePath(match.obj, splitFieldPath(fieldPath), false);
  const slot = slots[0];
  if (!slot)
    throw new KustomizeError({ file, message: `replacements: source fieldPath '${fieldPath}' not found in ${desc}` });
  const value = (slot.parent as Record<string | number, unknown>)[slot.key];
  const text = scalarSpelling(slot.parent, slot.key);
  const opts = (source.options ?? {}) as FieldOptions;
  if (opts.delimiter !== undefined && (Array.isArray(value) || isMapValue(value))) throw delimiterOnNonScalar(file);
  if (opts.delimiter !== undefined && typeof value === 'string') {
    const parts = value.split(opts.delimiter);
    const i = opts.index ?? 0;
    if (i < 0 || i >= parts.length) {
      throw new KustomizeError({
        file,
        message: `replacements: options.index ${i} is out of bounds for value '${value}'`,
      });
    }
    return { value: parts[i] };
  }
  return text === undefined ? { value } : { value, text };
}

/** Kustomize's refusal of a delimiter on a map or list, on either side of a replacement. */
function delimiterOnNonScalar(file: string): KustomizeError {
  return new KustomizeError({ file, message: 'replacements: delimiter option can only be used with scalar nodes' });
}

function writeTarget(slot: Slot, source: SourceValue, opts: FieldOptions, file: string): void {
  const holder = slot.parent as Record<string | number, unknown>;
  const text = source.text ?? String(source.value);
  if (opts.delimiter !== undefined) {
    const cur = holder[slot.key];
    if (Array.isArray(cur) || isMapValue(cur) || Array.isArray(source.value) || isMapValue(source.value))
      throw delimiterOnNonScalar(file);
    const parts = typeof cur === 'string' ? cur.split(opts.delimiter) : [];
    const i = opts.index ?? 0;
    if (i >= parts.length) parts.push(text);
    else if (i < 0) parts.unshift(text);
    else parts[i] = text;
    holder[slot.key] = keepType(slot, parts.join(opts.delimiter), file);
    return;
  }
  holder[slot.key] = keepType(slot, structuredClone(source.value), file, source.text);
}

function isScalar(v: unknown): v is string | number | boolean {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

/** The YAML tag of a value as it sits in its map or list: a number's source spelling tells `1.0` from `1`. */
function tagAt(holder: object, key: string | number, v: unknown): string | undefined {
  if (typeof v === 'string') return 'str';
  if (v === null) return 'null';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number' || typeof v === 'bigint') {
    return resolvePlain(scalarSpelling(holder, key) ?? String(v)).tag === 'float' ? 'float' : 'int';
  }
  return undefined;
}

/**
 * Kustomize copies only a scalar's text into a scalar field and keeps the field's tag: a string field stays a string
 * (`"80"`); a number, boolean or null field reads the text back under its own tag, and go-yaml refuses text of
 * another type there (`"080"` into an int); a field it creates has no tag, so the text is read back as plain YAML
 * (`1.25` becomes a number). A map or list on either side is copied as it is.
 */
function keepType(slot: Slot, value: unknown, file: string, spelling?: string): unknown {
  const holder = slot.parent as Record<string | number, unknown>;
  const current = holder[slot.key];
  if (!isScalar(value)) return value;
  if (current !== undefined && current !== null && !isScalar(current)) return value;
  const text = spelling ?? String(value);
  if (typeof current === 'string') return text;
  const resolved = resolvePlain(text);
  const want = current === undefined ? undefined : tagAt(slot.parent, slot.key, current);
  if (want !== undefined && resolved.tag !== want && !(want === 'float' && resolved.tag === 'int')) {
    throw new KustomizeError({
      file,
      message: `replacements: cannot decode !!${resolved.tag} \`${text}\` as a !!${want}: the target field holds a ${want === 'null' ? 'null' : want === 'str' ? 'string' : want}, and kustomize keeps a field's type`,
    });
  }
  return resolved.value;
}

export function applyReplacements(list: Res[], replacements: Record<string, unknown>[], file: string): void {
  for (const rep of replacements) {
    const source = rep.source;
    if (!isMapValue(source))
      throw new KustomizeError({ file, message: 'replacements: each replacement needs a source' });
    const value = readSource(list, source, file);
    for (const target of (rep.targets ?? []) as Record<string, unknown>[]) {
      if (!isMapValue(target.select)) {
        throw new KustomizeError({ file, message: 'replacements: target must specify resources to select' });
      }
      const select = compileIdSelector(target.select, (target.reject ?? []) as Selector[]);
      const opts = (target.options ?? {}) as FieldOptions;
      for (const r of list) {
        if (!select(r)) continue;
        for (const fp of (target.fieldPaths ?? []) as string[]) {
          const slots = resolvePath(r.obj, splitFieldPath(fp), opts.create === true);
          if (slots.length === 0) {
            throw new KustomizeError({
              file,
              message: `replacements: unable to find field '${fp}' in replacement target`,
            });
          }
          for (const slot of slots) writeTarget(slot, value, opts, file);
        }
      }
    }
  }
}
