import { createHash } from 'node:crypto';

import { stringify } from 'yaml';

import type { ValuesReference } from '../../flux/meta.ts';

/**
 * A HelmRelease's chart values as helm-controller composes them (`internal/chartutil/values.go`,
 * `ChartValuesFromReferences`): each `valuesFrom` reference in order, a whole YAML document deep-merged over what came
 * before or, with `targetPath`, one value set at a path with Helm's `--set` rules; then `spec.values` on top.
 * Pure: the ConfigMaps and Secrets are read by the caller.
 */

export type Values = Record<string, unknown>;

/** A referenced ConfigMap's or Secret's data, decoded to text; undefined when the object does not exist. */
export type ValuesSource = (kind: 'ConfigMap' | 'Secret', name: string) => Record<string, string> | undefined;

/** A reference that cannot be resolved: the message is helm-controller's `ErrValuesReference` text. */
export class ValuesReferenceError extends Error {
  override readonly name = 'ValuesReferenceError';
}

const isMap = (v: unknown): v is Values => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `transform.MergeMaps`: maps merge key by key, recursively; anything else in `overlay` replaces what was there. */
export function mergeMaps(base: Values, overlay: Values): Values {
  const out: Values = { ...base };
  for (const [k, v] of Object.entries(overlay)) {
    const prev = out[k];
    out[k] = isMap(v) && isMap(prev) ? mergeMaps(prev, v) : v;
  }
  return out;
}

function refError(ref: ValuesReference, namespace: string, reason: string): ValuesReferenceError {
  const optional = ref.optional ? ' optional' : '';
  const key = ref.valuesKey || 'values.yaml';
  return new ValuesReferenceError(
    `could not resolve${optional} ${ref.kind} chart values reference '${namespace}/${ref.name}' with key '${key}': ${reason}`,
  );
}

/** The text a reference points at; undefined for an optional reference that is missing. */
function referencedText(ref: ValuesReference, namespace: string, source: ValuesSource): string | undefined {
  if (!(['ConfigMap', 'Secret'] as string[]).includes(ref.kind)) {
    throw refError(ref, namespace, 'unsupported values reference kind');
  }
  const data = source(ref.kind, ref.name);
  if (data === undefined) {
    if (ref.optional) return undefined;
    throw refError(ref, namespace, 'resource not found');
  }
  const text = data[ref.valuesKey || 'values.yaml'];
  if (text === undefined) {
    if (ref.optional) return undefined;
    throw refError(ref, namespace, 'key not found');
  }
  return text;
}

/**
 * Merges `valuesFrom` then `values`. `parseYaml` reads one values document (Helm's `chartutil.ReadValues`: an empty
 * document is `{}`); it is passed in so this stays free of a YAML dialect choice.
 */
export function composeValues(
  spec: { values?: Values; valuesFrom?: ValuesReference[] },
  namespace: string,
  source: ValuesSource,
  parseYaml: (text: string) => unknown,
): Values {
  let result: Values = {};
  for (const ref of spec.valuesFrom ?? []) {
    const text = referencedText(ref, namespace, source);
    if (text === undefined) continue;
    if (ref.targetPath) {
      try {
        result = replacePathValue(result, ref.targetPath, text);
      } catch (err) {
        throw refError(ref, namespace, `failed to merge value: ${(err as Error).message}`);
      }
      continue;
    }
    let parsed: unknown;
    try {
      parsed = parseYaml(text) ?? {};
    } catch (err) {
      throw refError(ref, namespace, `failed to read values data: ${(err as Error).message}`);
    }
    if (!isMap(parsed)) throw refError(ref, namespace, 'failed to read values data: not a YAML map');
    result = mergeMaps(result, parsed);
  }
  return mergeMaps(result, spec.values ?? {});
}

/** One step of a `--set` path: a key, or a list index after it (`a.b[0].c`). */
type PathStep = { key: string } | { index: number };

/** Splits Helm's `--set` key syntax: dots separate keys, `\.` is a literal dot, `[n]` indexes a list. */
export function parseSetPath(path: string): PathStep[] {
  const steps: PathStep[] = [];
  let key = '';
  const flush = (): void => {
    if (key) steps.push({ key });
    key = '';
  };
  for (let i = 0; i < path.length; i++) {
    const c = path.charAt(i);
    if (c === '\\' && i + 1 < path.length) {
      key += path.charAt(++i);
    } else if (c === '.') {
      flush();
    } else if (c === '[') {
      flush();
      const end = path.indexOf(']', i);
      steps.push({ index: listIndex(path, path.slice(i + 1, end), end) });
      i = end;
    } else key += c;
  }
  flush();
  if (steps.length === 0) throw new Error(`key '${path}' has no name`);
  return steps;
}

function listIndex(path: string, text: string, end: number): number {
  const index = Number(text);
  if (end < 0 || text === '' || !Number.isInteger(index) || index < 0) {
    throw new Error(`invalid list index in key '${path}'`);
  }
  return index;
}

/** strvals' typing of a `--set` value: true/false/null, integers without a leading zero, else the string itself. */
function typedValue(value: string): unknown {
  if (value.toLowerCase() === 'true') return true;
  if (value.toLowerCase() === 'false') return false;
  if (value.toLowerCase() === 'null') return null;
  if (value === '0') return 0;
  if (/^-?[1-9][0-9]*$/.test(value) && Number.isSafeInteger(Number(value))) return Number(value);
  return value;
}

function setAt(container: unknown, steps: PathStep[], value: unknown): unknown {
  const [step, ...rest] = steps;
  if (step === undefined) return value;
  if ('key' in step) {
    const map: Values = isMap(container) ? { ...container } : {};
    map[step.key] = setAt(map[step.key], rest, value);
    return map;
  }
  const list = Array.isArray(container) ? [...(container as unknown[])] : [];
  while (list.length <= step.index) list.push(null);
  list[step.index] = setAt(list[step.index], rest, value);
  return list;
}

/**
 * `ReplacePathValue`: sets the value at a `--set` path. A value in single or double quotes is set as a string with
 * the quotes removed (`--set-string`); otherwise it is typed as `--set` does.
 */
export function replacePathValue(values: Values, path: string, value: string): Values {
  const quoted =
    value.length >= 2 &&
    ((value.startsWith("'") && value.endsWith("'")) || (value.startsWith('"') && value.endsWith('"')));
  const v = quoted ? value.replace(/^['"]+|['"]+$/g, '') : typedValue(value);
  const steps = parseSetPath(path);
  if (!('key' in (steps[0] as PathStep))) throw new Error(`key '${path}' must start with a name`);
  return setAt(values, steps, v) as Values;
}

/**
 * `chartutil.DigestValues(sha256, values)`: the sha256 of `values.Encode`, which is sigs.k8s.io/yaml's output
 * (keys sorted, sequences not indented, no line folding). Matches helm-controller's `lastAttemptedConfigDigest`.
 */
export function digestValues(values: Values): string {
  const text = Object.keys(values).length === 0 ? '{}\n' : stringify(values, yamlOptions);
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

const yamlOptions = { sortMapEntries: true, indentSeq: false, lineWidth: 0 } as const;
