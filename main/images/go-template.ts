/**
 * The part of Go's text/template that commit message templates use: text with `{{ }}` actions and `{{-`/`-}}`
 * trimming, comments, fields and method calls on the data (`.Changed.FileChanges`, `.Changed.Objects`), variables
 * (`$x`, `$k, $v := ...`), `range` (maps in sorted key order, `else`), `if`/`else if`/`else`, `with`, pipelines
 * with `|`, and the functions `len`, `printf`, `print`, `println`, `index`, `eq`, `ne`, `not`, `and`, `or`.
 * Anything else (Sprig functions, `define`/`template`, `block`) fails with a TemplateError naming it, so a template
 * is never half-rendered silently.
 *
 * Data: JS objects are Go structs (a missing field is an error), `Map`s are Go maps (a missing key is
 * `<no value>`), functions are methods without arguments, and a value's own `toString` is its `String()` method.
 */

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

type Value = unknown;

// ---------------------------------------------------------------- lexing: text and actions

interface TextPart {
  kind: 'text';
  text: string;
}
interface ActionPart {
  kind: 'action';
  src: string;
  pos: number;
}
type Part = TextPart | ActionPart;

function split(src: string): Part[] {
  const parts: Part[] = [];
  let at = 0;
  for (;;) {
    const open = src.indexOf('{{', at);
    if (open < 0) {
      parts.push({ kind: 'text', text: src.slice(at) });
      return parts;
    }
    const close = src.indexOf('}}', open + 2);
    if (close < 0) throw new TemplateError(`unclosed action at offset ${open}`);
    let text = src.slice(at, open);
    let body = src.slice(open + 2, close);
    if (/^-\s/.test(body)) {
      text = text.replace(/\s+$/, '');
      body = body.slice(1);
    }
    parts.push({ kind: 'text', text });
    let next = close + 2;
    if (/\s-$/.test(body)) {
      body = body.slice(0, -1);
      const rest = /^\s*/.exec(src.slice(next));
      next += rest ? rest[0].length : 0;
    }
    parts.push({ kind: 'action', src: body.trim(), pos: open });
    at = next;
  }
}

type Token =
  | { t: 'field'; v: string[] }
  | { t: 'var'; v: string; path: string[] }
  | { t: 'dot' }
  | { t: 'str'; v: string }
  | { t: 'num'; v: number }
  | { t: 'ident'; v: string }
  | { t: 'op'; v: string };

const TOKEN =
  /\s*(?:("(?:[^"\\]|\\.)*")|(`[^`]*`)|(-?\d+(?:\.\d+)?)|(\$[A-Za-z0-9_]*)((?:\.[A-Za-z0-9_]+)*)|((?:\.[A-Za-z0-9_]+)+)|(\.)|([A-Za-z_][A-Za-z0-9_]*)|(:=|=|,|\||\(|\)))/y;

function tokens(src: string): Token[] {
  const out: Token[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < src.length) {
    if (/^\s*$/.test(src.slice(TOKEN.lastIndex))) break;
    const m = TOKEN.exec(src);
    if (!m) throw new TemplateError(`cannot read '${src.slice(TOKEN.lastIndex).trim()}'`);
    const [, dq, raw, num, variable, varPath, field, dot, ident, op] = m;
    if (dq !== undefined) out.push({ t: 'str', v: JSON.parse(dq) as string });
    else if (raw !== undefined) out.push({ t: 'str', v: raw.slice(1, -1) });
    else if (num !== undefined) out.push({ t: 'num', v: Number(num) });
    else if (variable !== undefined)
      out.push({ t: 'var', v: variable, path: (varPath ?? '').split('.').filter(Boolean) });
    else if (field !== undefined) out.push({ t: 'field', v: field.split('.').filter(Boolean) });
    else if (dot !== undefined) out.push({ t: 'dot' });
    else if (ident !== undefined) out.push({ t: 'ident', v: ident });
    else out.push({ t: 'op', v: op ?? '' });
  }
  return out;
}

// ---------------------------------------------------------------- parsing: a tree of nodes

type Arg = Token | { t: 'pipe'; v: Command[] };
type Command = Arg[];
interface Pipeline {
  decl: string[];
  cmds: Command[];
}

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'out'; pipe: Pipeline }
  | { kind: 'if' | 'with'; pipe: Pipeline; body: Node[]; alt: Node[] }
  | { kind: 'range'; pipe: Pipeline; body: Node[]; alt: Node[] };

function parsePipeline(toks: Token[]): Pipeline {
  let decl: string[] = [];
  const assign = toks.findIndex((t) => t.t === 'op' && (t.v === ':=' || t.v === '='));
  if (assign >= 0) {
    decl = toks
      .slice(0, assign)
      .filter((t): t is Extract<Token, { t: 'var' }> => t.t === 'var')
      .map((t) => t.v);
    toks = toks.slice(assign + 1);
  }
  return { decl, cmds: parseCommands(toks) };
}

function parseCommands(toks: Token[]): Command[] {
  const cmds: Command[] = [[]];
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i] as Token;
    if (t.t === 'op' && t.v === '|') cmds.push([]);
    else if (t.t === 'op' && t.v === '(') {
      let depth = 1;
      let j = i + 1;
      for (; j < toks.length && depth > 0; j++) {
        const u = toks[j] as Token;
        if (u.t === 'op' && u.v === '(') depth++;
        if (u.t === 'op' && u.v === ')') depth--;
      }
      (cmds[cmds.length - 1] as Command).push({ t: 'pipe', v: parseCommands(toks.slice(i + 1, j - 1)) });
      i = j - 1;
    } else (cmds[cmds.length - 1] as Command).push(t);
  }
  if (cmds.some((c) => c.length === 0)) throw new TemplateError('empty command in pipeline');
  for (const [head] of cmds) {
    if (head?.t === 'ident' && !LITERALS.has(head.v) && !(head.v in FUNCS))
      throw new TemplateError(
        `function "${head.v}" not defined (Fluxdeck supports text/template's own functions, not Sprig's)`,
      );
  }
  return cmds;
}

function parse(parts: Part[]): Node[] {
  let i = 0;
  const block = (): { nodes: Node[]; end: string } => {
    const nodes: Node[] = [];
    while (i < parts.length) {
      const p = parts[i++] as Part;
      if (p.kind === 'text') {
        if (p.text) nodes.push({ kind: 'text', text: p.text });
        continue;
      }
      if (p.src.startsWith('/*')) continue;
      const [word] = p.src.split(/\s+/, 1);
      if (word === 'end' || word === 'else') return { nodes, end: p.src };
      if (word === 'if' || word === 'with' || word === 'range') {
        nodes.push(control(word, p.src.slice(word.length)));
        continue;
      }
      if (word === 'define' || word === 'template' || word === 'block' || word === 'break' || word === 'continue')
        throw new TemplateError(`'${word}' is not supported in commit message templates`);
      nodes.push({ kind: 'out', pipe: parsePipeline(tokens(p.src)) });
    }
    return { nodes, end: '' };
  };
  const control = (kind: 'if' | 'with' | 'range', rest: string): Node => {
    const pipe = parsePipeline(tokens(rest));
    const body = block();
    let alt: Node[] = [];
    if (body.end.startsWith('else')) {
      const elseIf = /^else\s+if\s+(.*)$/s.exec(body.end);
      if (elseIf) alt = [control('if', elseIf[1] ?? '')];
      else {
        const e = block();
        if (e.end !== 'end') throw new TemplateError(`missing {{end}} for ${kind}`);
        alt = e.nodes;
      }
    } else if (body.end !== 'end') throw new TemplateError(`missing {{end}} for ${kind}`);
    return { kind, pipe, body: body.nodes, alt };
  };
  const top = block();
  if (top.end) throw new TemplateError(`unexpected {{${top.end}}}`);
  return top.nodes;
}

// ---------------------------------------------------------------- evaluation

interface Scope {
  dot: Value;
  vars: Map<string, Value>;
}

const NO_VALUE = '<no value>';
const LITERALS = new Set(['true', 'false', 'nil']);

function field(v: Value, name: string): Value {
  if (v instanceof Map) return v.get(name);
  if (v === null || typeof v !== 'object') throw new TemplateError(`can't evaluate field ${name} in type ${typeOf(v)}`);
  if (!(name in v)) throw new TemplateError(`can't evaluate field ${name} in type ${typeOf(v)}`);
  const f = (v as Record<string, Value>)[name];
  return typeof f === 'function' ? (f as () => Value).call(v) : f;
}

const typeOf = (v: Value): string =>
  v === null || v === undefined ? 'nil' : v instanceof Map ? 'map' : Array.isArray(v) ? 'slice' : typeof v;

function truthy(v: Value): boolean {
  if (v instanceof Map) return v.size > 0;
  if (Array.isArray(v)) return v.length > 0;
  return Boolean(v);
}

/** Go's `fmt` `%v` for the data of templates. */
export function format(v: Value): string {
  if (v === undefined || v === null) return NO_VALUE;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(format).join(' ')}]`;
  if (v instanceof Map) return `map[${[...sortedEntries(v)].map(([k, x]) => `${format(k)}:${format(x)}`).join(' ')}]`;
  const own = (v as { toString?: unknown }).toString;
  if (Object.prototype.hasOwnProperty.call(v, 'toString') && typeof own === 'function') return String(own.call(v));
  return `{${Object.values(v)
    .filter((x) => typeof x !== 'function')
    .map(format)
    .join(' ')}}`;
}

function sortedEntries(m: Map<unknown, unknown>): [unknown, unknown][] {
  return [...m.entries()].sort(([a], [b]) => {
    const ka = typeof a === 'string' ? a : format(a);
    const kb = typeof b === 'string' ? b : format(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
}

function printf(fmt: string, args: Value[]): string {
  let i = 0;
  return fmt.replace(/%([%vsdq])/g, (_m, verb: string) => {
    if (verb === '%') return '%';
    const a = args[i++];
    if (verb === 'q') return JSON.stringify(format(a));
    if (verb === 'd') return String(typeof a === 'number' ? Math.trunc(a) : format(a));
    return format(a);
  });
}

const FUNCS: Record<string, (args: Value[]) => Value> = {
  len: ([v]) => {
    if (v instanceof Map) return v.size;
    if (Array.isArray(v) || typeof v === 'string') return v.length;
    throw new TemplateError(`len of ${typeOf(v)}`);
  },
  printf: ([f, ...rest]) => printf(String(f), rest),
  print: (args) => args.map(format).join(''),
  println: (args) => `${args.map(format).join(' ')}\n`,
  index: ([v, ...keys]) => keys.reduce((acc, k) => (acc instanceof Map ? acc.get(k) : (acc as Value[])[Number(k)]), v),
  eq: ([a, ...rest]) => rest.some((b) => a === b),
  ne: ([a, b]) => a !== b,
  not: ([a]) => !truthy(a),
  and: (args) => args.find((a) => !truthy(a)) ?? args[args.length - 1],
  or: (args) => args.find((a) => truthy(a)) ?? args[args.length - 1],
};

function argValue(a: Arg, scope: Scope): Value {
  switch (a.t) {
    case 'dot':
      return scope.dot;
    case 'field':
      return a.v.reduce(field, scope.dot);
    case 'var': {
      if (!scope.vars.has(a.v)) throw new TemplateError(`undefined variable: ${a.v}`);
      return a.path.reduce(field, scope.vars.get(a.v));
    }
    case 'str':
    case 'num':
      return a.v;
    case 'pipe':
      return runCommands(a.v, scope);
    case 'ident':
      if (a.v === 'true' || a.v === 'false') return a.v === 'true';
      if (a.v === 'nil') return undefined;
      return call(a.v, [], undefined);
    default:
      throw new TemplateError(`unexpected '${a.v}'`);
  }
}

function call(name: string, args: Value[], piped: { v: Value } | undefined): Value {
  const fn = FUNCS[name];
  if (!fn) throw new TemplateError(`function "${name}" not defined (Fluxdeck supports text/template's own functions, not Sprig's)`);
  return fn(piped ? [...args, piped.v] : args);
}

function runCommands(cmds: Command[], scope: Scope): Value {
  let piped: { v: Value } | undefined;
  for (const cmd of cmds) {
    const [head, ...rest] = cmd as [Arg, ...Arg[]];
    if (head.t === 'ident' && head.v !== 'true' && head.v !== 'false' && head.v !== 'nil') {
      piped = { v: call(head.v, rest.map((a) => argValue(a, scope)), piped) };
    } else {
      if (rest.length > 0 || piped) throw new TemplateError('can only call functions with arguments');
      piped = { v: argValue(head, scope) };
    }
  }
  return piped?.v;
}

function runPipeline(p: Pipeline, scope: Scope): Value {
  const v = runCommands(p.cmds, scope);
  if (p.decl.length === 1) scope.vars.set(p.decl[0] as string, v);
  return v;
}

function iterate(v: Value): [Value, Value][] {
  if (v === undefined || v === null) return [];
  if (v instanceof Map) return sortedEntries(v);
  if (Array.isArray(v)) return v.map((x, i) => [i, x]);
  if (typeof v === 'number') return Array.from({ length: v }, (_x, i) => [i, i]);
  throw new TemplateError(`range can't iterate over ${format(v)}`);
}

function exec(nodes: Node[], scope: Scope, out: string[]): void {
  for (const n of nodes) {
    if (n.kind === 'text') out.push(n.text);
    else if (n.kind === 'out') {
      const v = runPipeline(n.pipe, scope);
      if (n.pipe.decl.length === 0) out.push(format(v));
    } else if (n.kind === 'range') {
      const items = iterate(runCommands(n.pipe.cmds, scope));
      if (items.length === 0) exec(n.alt, scope, out);
      for (const [k, v] of items) {
        const vars = new Map(scope.vars);
        const [a, b] = n.pipe.decl;
        if (b !== undefined) {
          vars.set(a as string, k);
          vars.set(b, v);
        } else if (a !== undefined) vars.set(a, v);
        exec(n.body, { dot: v, vars }, out);
      }
    } else {
      const v = runPipeline(n.pipe, scope);
      if (!truthy(v)) exec(n.alt, scope, out);
      else exec(n.body, n.kind === 'with' ? { dot: v, vars: scope.vars } : scope, out);
    }
  }
}

/** Parses a template; throws TemplateError on a syntax error or an unsupported construct. */
export function compileTemplate(src: string): (data: Value) => string {
  const tree = parse(split(src));
  return (data) => {
    const out: string[] = [];
    exec(tree, { dot: data, vars: new Map([['$', data]]) }, out);
    return out.join('');
  };
}
