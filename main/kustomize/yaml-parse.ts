/**
 * Reads YAML into plain values the way kustomize does (go-yaml v3 decoding into Go values): plain scalars resolved
 * with go-yaml's rules, merge keys, anchors and aliases. Guards against alias bombs by counting every node an alias
 * expands to, and reports syntax errors with the file, line and column.
 */
import { type Alias, isAlias, isMap, isScalar, isSeq, LineCounter, type Node, parseAllDocuments, Scalar } from 'yaml';

import { KustomizeError } from './errors.ts';
import { type Resolved, resolvePlain } from './yaml-scalars.ts';

export interface ParseLimits {
  /** Values produced per file, counting each alias expansion again (go-yaml refuses "excessive aliasing"). */
  maxNodes: number;
  /** Read y/yes/on/n/no/off as booleans (YAML 1.1, as sigs.k8s.io/yaml does when Flux re-reads substituted text). */
  yaml11Bools?: boolean;
  /**
   * Refuse what JSON cannot hold: map keys that read as numbers, booleans or null, and infinite or NaN numbers.
   * kustomize turns every resource into JSON and fails the build on them.
   */
  jsonValues?: boolean;
}
const YAML11_BOOLS = new Map<string, boolean>([
  ...['y', 'Y', 'yes', 'Yes', 'YES', 'on', 'On', 'ON'].map((k) => [k, true] as const),
  ...['n', 'N', 'no', 'No', 'NO', 'off', 'Off', 'OFF'].map((k) => [k, false] as const),
]);

const DEFAULT_LIMITS: ParseLimits = { maxNodes: 5_000_000 };

/** How resources and patches are read (see ParseLimits.jsonValues). */
export const RESOURCE_LIMITS: ParseLimits = { ...DEFAULT_LIMITS, jsonValues: true };

interface Ctx {
  file: string;
  lines: LineCounter;
  doc: Parameters<Alias['resolve']>[0];
  budget: number;
  limits: ParseLimits;
  aliasDepth: number;
  /** Per document, as go-yaml counts them: every value decoded, and those decoded through an alias. */
  decoded: number;
  viaAlias: number;
  /** Alias.resolve searches the whole document each time; a bomb would make that quadratic. */
  anchors: Map<Alias, Node | undefined>;
}

/**
 * go-yaml v3's "excessive aliasing" rule (decode.go allowedAliasRatio): past 100 aliased values and 1,000 values in
 * all, refuse when aliased values outnumber this share. Documents that merely reuse anchors stay far below it; a
 * "billion laughs" document crosses it within its first few thousand values instead of after millions.
 */
function allowedAliasRatio(decoded: number): number {
  const low = 400_000;
  const high = 4_000_000;
  if (decoded <= low) return 0.99;
  if (decoded >= high) return 0.1;
  return 0.99 - 0.89 * ((decoded - low) / (high - low));
}

function position(
  ctx: Ctx,
  node: { range?: [number, number, number] | null } | null | undefined,
): {
  line?: number;
  column?: number;
} {
  const offset = node?.range?.[0];
  if (offset === undefined) return {};
  const p = ctx.lines.linePos(offset);
  return { line: p.line, column: p.col };
}

function fail(ctx: Ctx, node: Node | null | undefined, message: string): never {
  throw new KustomizeError({ file: ctx.file, ...position(ctx, node), message });
}

/**
 * The source text of plain number and boolean scalars whose value prints differently (`1.10`, `1e3`, `0x1F`,
 * `True`), by the map or list holding them. kyaml keeps a scalar's text, so a replacement copies `1.10` into a string
 * field as "1.10" where the decoded value would print "1.1".
 */
const spellings = new WeakMap<object, Map<string | number, string>>();

/** The source text of the scalar at `parent[key]`, when it differs from how its value prints. */
export function scalarSpelling(parent: object, key: string | number): string | undefined {
  return spellings.get(parent)?.get(key);
}

/** A scalar's text as kyaml holds it: its source spelling when recorded, else how its value prints. */
export function scalarText(parent: object, key: string | number, value: number | boolean | null): string {
  return scalarSpelling(parent, key) ?? String(value);
}

/**
 * The style of map fields whose scalar was not written plain, by the map holding them: 'quoted' for quoted or block
 * scalars without a tag (`"a"`, `'a'`, `|`, `>`), 'tagged' for an explicit tag (`!!str 12`). kyaml's FieldSetter
 * gives the value a strategic merge patch sets the target field's style, and a quoted style makes go-yaml print a
 * number or boolean as a string: the target's `value: "8080"` patched with `value: 9090` comes out "9090".
 */
export type ScalarStyle = 'quoted' | 'tagged';

const styles = new WeakMap<object, Map<string, ScalarStyle>>();

/** The recorded style of the scalar at `map[key]` (see ScalarStyle); undefined for plain. */
export function scalarStyle(map: object, key: string): ScalarStyle | undefined {
  return styles.get(map)?.get(key);
}

/** Records the style of the scalar at `map[key]` (undefined: plain). */
export function setScalarStyle(map: object, key: string, style: ScalarStyle | undefined): void {
  const keys = styles.get(map);
  if (style === undefined) keys?.delete(key);
  else if (keys) keys.set(key, style);
  else styles.set(map, new Map([[key, style]]));
}

const nonStrings = new Map<string, boolean>();

/**
 * kyaml's IsYaml1_1NonString: the text, read alone as a YAML 1.1 document, is not a string (`on`, `y`, `1.0`, `~`,
 * `a: b`). kyaml quotes such strings when it sets them as label values and when it writes a resource out.
 */
export function isYaml11NonString(value: string): boolean {
  if (value === '' || value.includes('\n')) return false;
  let hit = nonStrings.get(value);
  if (hit === undefined) {
    try {
      hit = typeof parseYamlDocument(value, '', { yaml11Bools: true }) !== 'string';
    } catch {
      hit = false;
    }
    if (nonStrings.size < 10_000) nonStrings.set(value, hit);
  }
  return hit;
}

/**
 * Gives `to[toKey]` the recorded spelling (and, between maps, the style) of `from[fromKey]`: a value copied from one
 * map or list to another.
 */
export function carrySpelling(to: object, toKey: string | number, from: object, fromKey: string | number): void {
  if (typeof toKey === 'string' && (styles.has(to) || styles.has(from))) {
    setScalarStyle(to, toKey, typeof fromKey === 'string' ? scalarStyle(from, fromKey) : undefined);
  }
  const text = spellings.get(from)?.get(fromKey);
  const map = spellings.get(to);
  if (text === undefined) {
    map?.delete(toKey);
    return;
  }
  if (map) map.set(toKey, text);
  else spellings.set(to, new Map([[toKey, text]]));
}

/** A shallow copy of a map that keeps its scalars' recorded spellings and styles. */
export function copyMap(map: Record<string, unknown>): Record<string, unknown> {
  const out = { ...map };
  const text = spellings.get(map);
  if (text) spellings.set(out, new Map(text));
  const keys = styles.get(map);
  if (keys) styles.set(out, new Map(keys));
  return out;
}

/** A copy of a map without some keys, keeping the others' recorded spellings. */
export function mapWithout(map: Record<string, unknown>, keys: ReadonlySet<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(map)) {
    if (keys.has(k)) continue;
    setKey(out, k, v);
    carrySpelling(out, k, map, k);
  }
  return out;
}

function rememberSpelling(parent: object, key: string | number, node: unknown, value: unknown): void {
  let text: string;
  if (value === null && (node === null || node === undefined))
    text = ''; // `key:` with nothing after it
  else if (value !== null && typeof value !== 'number' && typeof value !== 'boolean') return;
  else if (!isScalar(node) || node.type !== Scalar.PLAIN || typeof node.value !== 'string') return;
  else text = node.value;
  if (text === String(value)) return;
  let map = spellings.get(parent);
  if (!map) spellings.set(parent, (map = new Map<string | number, string>()));
  map.set(key, text);
}

const BLOCK_OR_QUOTED = new Set<string | undefined>([
  Scalar.QUOTE_DOUBLE,
  Scalar.QUOTE_SINGLE,
  Scalar.BLOCK_LITERAL,
  Scalar.BLOCK_FOLDED,
]);

/** Records a scalar's quoted, block or tagged style (kustomize de-aliases nodes, so an alias counts too). */
function rememberStyle(ctx: Ctx, map: object, key: string, node: unknown): void {
  const target = isAlias(node) ? ctx.anchors.get(node) : node;
  if (!isScalar(target)) return;
  if (target.tag !== undefined) setScalarStyle(map, key, 'tagged');
  else if (BLOCK_OR_QUOTED.has(target.type)) setScalarStyle(map, key, 'quoted');
}

function setKey(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

/**
 * Characters go-yaml's reader refuses ("control characters are not allowed") that JSON leaves unescaped: kustomize
 * round-trips every resource through JSON and YAML, so a string holding one fails the build even when the file
 * spelled it as an escape (`"\x7f"`).
 */
const UNREADABLE = /[\x7f-\x84\x86-\x9f\ufffe\uffff]/;

const UNREADABLE_MESSAGE =
  'yaml: control characters are not allowed (DEL, C1 controls, U+FFFE and U+FFFF cannot be read back)';

function scalarValue(ctx: Ctx, node: Scalar): Resolved['value'] {
  const text = typeof node.value === 'string' ? node.value : String(node.value);
  // Raw characters were checked over the whole text; only escapes can still make one.
  if (node.type === Scalar.QUOTE_DOUBLE && UNREADABLE.test(text)) fail(ctx, node, UNREADABLE_MESSAGE);
  const tag = node.tag;
  if (tag !== undefined && tag !== '!') {
    switch (tag) {
      case 'tag:yaml.org,2002:str':
      case 'tag:yaml.org,2002:binary':
        return text;
      case 'tag:yaml.org,2002:null':
        return null;
      case 'tag:yaml.org,2002:bool':
      case 'tag:yaml.org,2002:int':
      case 'tag:yaml.org,2002:float': {
        const r = resolvePlain(text);
        const want = tag.slice('tag:yaml.org,2002:'.length);
        if (r.tag === want || (want === 'float' && r.tag === 'int')) return r.value;
        return fail(ctx, node, `cannot decode ${JSON.stringify(text)} as !!${want}`);
      }
      default:
        break;
    }
  }
  if (node.type !== Scalar.PLAIN) return text;
  const yaml11Bool = ctx.limits.yaml11Bools ? YAML11_BOOLS.get(text) : undefined;
  const value = yaml11Bool ?? resolvePlain(text).value;
  if (ctx.limits.jsonValues && typeof value === 'number' && !Number.isFinite(value)) {
    return fail(ctx, node, `json: unsupported value: ${text}: kustomize cannot build a resource holding it; quote it`);
  }
  return value;
}

function keyString(ctx: Ctx, node: unknown): string {
  if (isScalar(node)) {
    const v = scalarValue(ctx, node);
    if (typeof v !== 'string' && ctx.limits.jsonValues) {
      return fail(
        ctx,
        node,
        `the key ${String(v)} is read as a ${v === null ? 'null' : typeof v}, and kustomize fails on a resource with a non-string key (json: unsupported type: map[interface {}]interface {}); quote the key`,
      );
    }
    if (v === null) return 'null';
    return typeof v === 'string' ? v : String(v);
  }
  return fail(ctx, node as Node, 'mapping keys must be scalars');
}

function convert(ctx: Ctx, node: unknown): unknown {
  if (--ctx.budget < 0) {
    return fail(ctx, node as Node, `document expands to more than ${ctx.limits.maxNodes} values (excessive aliasing?)`);
  }
  ctx.decoded++;
  if (ctx.aliasDepth > 0) ctx.viaAlias++;
  if (ctx.viaAlias > 100 && ctx.decoded > 1000 && ctx.viaAlias / ctx.decoded > allowedAliasRatio(ctx.decoded)) {
    return fail(ctx, node as Node, 'document contains excessive aliasing');
  }
  if (node === null || node === undefined) return null;
  if (isScalar(node)) return scalarValue(ctx, node);
  if (isAlias(node)) {
    if (!ctx.anchors.has(node)) ctx.anchors.set(node, node.resolve(ctx.doc));
    const target = ctx.anchors.get(node);
    if (!target) return fail(ctx, node, `unknown anchor '${node.source}'`);
    if (++ctx.aliasDepth > 64) return fail(ctx, node, 'aliases nested too deeply');
    try {
      return convert(ctx, target);
    } finally {
      ctx.aliasDepth--;
    }
  }
  if (isSeq(node)) {
    const out: unknown[] = [];
    node.items.forEach((item, i) => {
      const v = convert(ctx, item);
      out.push(v);
      rememberSpelling(out, i, item, v);
    });
    return out;
  }
  if (isMap(node)) {
    const out: Record<string, unknown> = {};
    const merges: unknown[] = [];
    for (const pair of node.items) {
      const key = pair.key as Node | null;
      if (isScalar(key) && key.type === Scalar.PLAIN && key.value === '<<' && key.tag === undefined) {
        merges.push(convert(ctx, pair.value));
        continue;
      }
      const name = keyString(ctx, key);
      const value = convert(ctx, pair.value);
      setKey(out, name, value);
      rememberSpelling(out, name, pair.value, value);
      if (value === null || typeof value !== 'object') rememberStyle(ctx, out, name, pair.value);
    }
    for (const m of merges) {
      for (const src of Array.isArray(m) ? m : [m]) {
        if (typeof src !== 'object' || src === null || Array.isArray(src)) {
          return fail(ctx, node, 'map merge requires map or sequence of maps as the value');
        }
        for (const [k, v] of Object.entries(src as Record<string, unknown>)) if (!(k in out)) setKey(out, k, v);
      }
    }
    return out;
  }
  return fail(ctx, node as Node, 'unsupported YAML node');
}

/** Deeper than any manifest needs, well below where the YAML parser's recursion would exhaust the stack (~780). */
export const MAX_NESTING = 256;

/**
 * Refuses a document nested deeper than {@link MAX_NESTING} before parsing it, with its own message (the parser would
 * die with "Maximum call stack size exceeded"). Counts flow brackets outside quotes and block indentation levels;
 * an over-count is harmless at this limit.
 */
function checkNesting(text: string, file: string): void {
  let flow = 0;
  let quote: string | undefined;
  const indents: number[] = [];
  let line = 1;
  let lineStart = true;
  let indent = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') {
      line++;
      lineStart = true;
      indent = 0;
      if (quote === "'") quote = undefined;
      continue;
    }
    if (lineStart) {
      if (c === ' ' || c === '-') {
        indent++;
        continue;
      }
      lineStart = false;
      if (c !== '#') {
        while (indents.length > 0 && (indents.at(-1) ?? 0) >= indent) indents.pop();
        indents.push(indent);
      }
    }
    if (quote) {
      if (c === quote && text[i - 1] !== '\\') quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '[' || c === '{') flow++;
    else if (c === ']' || c === '}') flow = Math.max(0, flow - 1);
    if (flow + indents.length > MAX_NESTING)
      throw new KustomizeError({
        file,
        line,
        message: `YAML nested deeper than ${MAX_NESTING} levels: no manifest needs that; refusing it before parsing`,
      });
  }
}

/**
 * Every document of a YAML stream as plain values; empty documents come back as null. Throws a KustomizeError with
 * the file, line and column of the first syntax error.
 */
export function parseYamlStream(
  text: string,
  file: string,
  limits: ParseLimits = DEFAULT_LIMITS,
  uniqueKeys = true,
): unknown[] {
  checkNesting(text, file);
  const raw = UNREADABLE.exec(text);
  if (raw) {
    const before = text.slice(0, raw.index);
    const line = before.split('\n').length;
    throw new KustomizeError({
      file,
      line,
      column: raw.index - before.lastIndexOf('\n'),
      message: UNREADABLE_MESSAGE,
    });
  }
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, {
    schema: 'failsafe',
    lineCounter: lines,
    uniqueKeys,
    prettyErrors: true,
    strict: false,
  });
  const list = Array.isArray(docs) ? docs : [];
  const ctx: Ctx = {
    file,
    lines,
    doc: undefined as unknown as Ctx['doc'],
    budget: limits.maxNodes,
    limits,
    aliasDepth: 0,
    decoded: 0,
    viaAlias: 0,
    anchors: new Map(),
  };
  const out: unknown[] = [];
  for (const doc of list) {
    const err = doc.errors[0];
    if (err) {
      const pos = err.linePos?.[0];
      throw new KustomizeError({
        file,
        line: pos?.line,
        column: pos?.col,
        message: `YAML syntax error: ${(err.message.split('\n')[0] ?? err.message).replace(/ at line \d+, column \d+:?$/, '')}`,
      });
    }
    ctx.doc = doc;
    ctx.decoded = 0;
    ctx.viaAlias = 0;
    out.push(convert(ctx, doc.contents));
  }
  return out;
}

/**
 * One YAML document (kustomization files); an empty file is an empty map. A repeated key takes its last value, as
 * kustomize's JSON-based decode of a kustomization does (resources, decoded by kyaml, refuse duplicates).
 */
export function parseYamlDocument(text: string, file: string, options: { yaml11Bools?: boolean } = {}): unknown {
  const docs = parseYamlStream(text, file, { ...DEFAULT_LIMITS, ...options }, false);
  if (docs.length > 1) throw new KustomizeError({ file, message: 'expected one YAML document, found several' });
  return docs[0] ?? null;
}
