/**
 * Flux's post-build variable substitution (kustomize-controller `kustomize_varsub.go` with fluxcd/pkg/envsubst): each
 * object is written as YAML, `${...}` expressions are expanded, and the text is read back. Objects labelled or
 * annotated `kustomize.toolkit.fluxcd.io/substitute: disabled` are left alone; `$${var}` stays a literal `${var}`;
 * `$var` without braces is not substituted.
 */
import type { KubeObject } from '../util/kube-object.ts';
import { KustomizeError } from './errors.ts';
import { toYaml } from './yaml-emit.ts';
import { parseYamlStream } from './yaml-parse.ts';

export const SUBSTITUTE_KEY = 'kustomize.toolkit.fluxcd.io/substitute';
const VAR_NAME = /^[_a-zA-Z][_a-zA-Z0-9]*$/;

export interface SubstituteOptions {
  /** Undefined variables without a default are errors (Flux's StrictPostBuildSubstitutions). */
  strict?: boolean;
}

/** A shell glob (`*`, `?`, `[...]`) as a regular expression body. */
function globToRegex(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob.charAt(i);
    if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) out += '\\[';
      else {
        out += `[${glob.slice(i + 1, end).replace(/^!/, '^')}]`;
        i = end;
      }
    } else out += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return out;
}

function trimPrefix(v: string, pat: string, longest: boolean): string {
  const re = new RegExp(`^(?:${globToRegex(pat)})`);
  let best = -1;
  for (let i = 0; i <= v.length; i++) {
    if (re.test(v.slice(0, i)) && new RegExp(`^(?:${globToRegex(pat)})$`).test(v.slice(0, i))) {
      best = i;
      if (!longest) break;
    }
  }
  return best < 0 ? v : v.slice(best);
}

function trimSuffix(v: string, pat: string, longest: boolean): string {
  const re = new RegExp(`^(?:${globToRegex(pat)})$`);
  let best = -1;
  for (let i = v.length; i >= 0; i--) {
    if (re.test(v.slice(i))) {
      best = i;
      if (!longest) break;
    }
  }
  return best < 0 ? v : v.slice(0, best);
}

function replacePattern(v: string, pat: string, rep: string, mode: '/' | '//' | '/#' | '/%'): string {
  const body = globToRegex(pat);
  if (mode === '/#') return v.replace(new RegExp(`^(?:${body})`), () => rep);
  if (mode === '/%') return v.replace(new RegExp(`(?:${body})$`), () => rep);
  return v.replace(new RegExp(body, mode === '//' ? 'g' : ''), () => rep);
}

type Lookup = (name: string) => string | undefined;

/** Finds the `}` closing an expression that starts after `${`, allowing nested `${...}` in defaults. */
function closingBrace(text: string, from: number): number {
  let depth = 1;
  for (let i = from; i < text.length; i++) {
    if (text[i] === '$' && text[i + 1] === '{') {
      depth++;
      i++;
    } else if (text[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

function evalExpr(expr: string, lookup: Lookup, strict: boolean): string {
  if (expr.startsWith('#')) return String((lookup(expr.slice(1)) ?? '').length);
  const name = /^[_a-zA-Z][_a-zA-Z0-9]*/.exec(expr)?.[0];
  if (name === undefined) throw new Error(`bad substitution '\${${expr}}'`);
  const op = expr.slice(name.length);
  const value = lookup(name);
  const val = value ?? '';
  const sub = (s: string): string => expand(s, lookup, strict);
  const missing = (): never => {
    throw new Error(`variable not set (strict mode): "${name}"`);
  };
  if (op === '') return value === undefined && strict ? missing() : val;
  for (const d of [':-', ':=', '-', '=']) {
    if (op.startsWith(d)) {
      const useDefault = d.startsWith(':') ? val === '' : value === undefined;
      return useDefault ? sub(op.slice(d.length)) : val;
    }
  }
  if (value === undefined && strict) missing();
  if (op === '^^') return val.toUpperCase();
  if (op === '^') return val.charAt(0).toUpperCase() + val.slice(1);
  if (op === ',,') return val.toLowerCase();
  if (op === ',') return val.charAt(0).toLowerCase() + val.slice(1);
  if (op.startsWith('##')) return trimPrefix(val, sub(op.slice(2)), true);
  if (op.startsWith('#')) return trimPrefix(val, sub(op.slice(1)), false);
  if (op.startsWith('%%')) return trimSuffix(val, sub(op.slice(2)), true);
  if (op.startsWith('%')) return trimSuffix(val, sub(op.slice(1)), false);
  const rep = /^(\/\/|\/#|\/%|\/)([^/]*)(?:\/(.*))?$/s.exec(op);
  if (rep) {
    const [, mode, pattern = '', replacement = ''] = rep;
    return replacePattern(val, sub(pattern), sub(replacement), mode as '/' | '//' | '/#' | '/%');
  }
  const slice = /^:\s*(-?[0-9]+)(?::(-?[0-9]+))?$/.exec(op);
  if (slice) {
    let start = Number(slice[1]);
    if (start < 0) start = Math.max(0, val.length + start);
    const len = slice[2] === undefined ? undefined : Number(slice[2]);
    return len === undefined ? val.slice(start) : val.slice(start, start + Math.max(0, len));
  }
  throw new Error(`unsupported substitution '\${${expr}}'`);
}

/** Expands every `${...}` in text; `$${` is an escaped literal `${`. */
export function expand(text: string, lookup: Lookup, strict: boolean): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const d = text.indexOf('$', i);
    if (d < 0) break;
    out += text.slice(i, d);
    if (text[d + 1] === '$' && text[d + 2] === '{') {
      out += '${';
      i = d + 3;
      continue;
    }
    if (text[d + 1] === '{') {
      const end = closingBrace(text, d + 2);
      if (end < 0) throw new Error(`unterminated substitution starting '${text.slice(d, d + 20)}'`);
      out += evalExpr(text.slice(d + 2, end), lookup, strict);
      i = end + 1;
      continue;
    }
    out += '$';
    i = d + 1;
  }
  return out + text.slice(i);
}

function disabled(obj: KubeObject): boolean {
  return (
    obj.metadata.labels?.[SUBSTITUTE_KEY] === 'disabled' || obj.metadata.annotations?.[SUBSTITUTE_KEY] === 'disabled'
  );
}

/**
 * Substitutes `vars` into every object (new objects are returned; the inputs are untouched). Does nothing when
 * `vars` is empty, as Flux.
 */
export function substitute(
  objects: readonly KubeObject[],
  vars: Record<string, string>,
  options: SubstituteOptions = {},
): KubeObject[] {
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries(vars)) {
    if (!VAR_NAME.test(k)) {
      throw new KustomizeError({ message: `substitute: '${k}' is not a valid variable name (letters, digits and _)` });
    }
    clean[k] = v.replaceAll('\n', '');
  }
  if (Object.keys(clean).length === 0) return [...objects];
  const lookup: Lookup = (name) => (Object.hasOwn(clean, name) ? clean[name] : undefined);
  return objects.map((obj) => {
    if (disabled(obj)) return obj;
    const id = `${obj.kind}/${obj.metadata.namespace ? `${obj.metadata.namespace}/` : ''}${obj.metadata.name ?? ''}`;
    let text: string;
    try {
      text = expand(toYaml(obj), lookup, options.strict === true);
    } catch (err) {
      throw new KustomizeError(
        { message: `post-build substitution failed for ${id}: ${(err as Error).message}` },
        { cause: err },
      );
    }
    const docs = parseYamlStream(text, `${id} (after substitution)`, { maxNodes: 5_000_000, yaml11Bools: true });
    const out = docs[0];
    if (docs.length !== 1 || typeof out !== 'object' || out === null) {
      throw new KustomizeError({
        message: `post-build substitution turned ${id} into something that is not one object`,
      });
    }
    return out as KubeObject;
  });
}
