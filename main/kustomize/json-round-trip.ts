/**
 * What kustomize's last step does to strings. It prints each resource by encoding it as JSON and reading that back as
 * YAML (sigs.k8s.io/yaml JSONToYAML). Go's JSON encoder escapes line breaks, tabs and U+2028/U+2029 but writes NEL
 * (U+0085) as it is, and YAML reads a raw NEL inside the double-quoted JSON string as a line break and folds it:
 * spaces around it are dropped and one NEL becomes a space, n NELs n-1 newlines. In a map key the same NEL ends the
 * single-line key, and kubectl fails.
 */
import { KustomizeError } from './errors.ts';
import type { Res } from './resource.ts';
import { isMapValue } from './resource.ts';

const NEL = '\u0085';
const FOLDS = / *\u0085[ \u0085]*/g;

/** A string as it reads back after the JSON round trip. */
export function foldNel(s: string): string {
  if (!s.includes(NEL)) return s;
  return s.replace(FOLDS, (run) => {
    const breaks = run.split(NEL).length - 1;
    return breaks === 1 ? ' ' : '\n'.repeat(breaks - 1);
  });
}

function fold(r: Res, v: unknown, path: string[]): unknown {
  if (typeof v === 'string') return foldNel(v);
  if (typeof v === 'number' && !Number.isFinite(v)) {
    // Resources are refused with it when read; a patch can still bring one in, and Go's JSON encoder refuses it.
    const go = Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf';
    throw new KustomizeError({
      file: r.source,
      message: `${path.join('.')} is ${go}: json: unsupported value: ${go} (kubectl kustomize cannot print it; quote it)`,
    });
  }
  if (Array.isArray(v)) {
    const list: unknown[] = v;
    let out: unknown[] | undefined;
    list.forEach((item, i) => {
      const next = fold(r, item, path);
      if (next !== item) (out ??= [...list])[i] = next;
    });
    return out ?? v;
  }
  if (!isMapValue(v)) return v;
  let out: Record<string, unknown> | undefined;
  for (const [k, child] of Object.entries(v)) {
    if (k.includes(NEL)) {
      throw new KustomizeError({
        file: r.source,
        message: `the key ${JSON.stringify([...path, k].join('.')).replaceAll(NEL, '\\u0085')} holds a NEL character (U+0085); kubectl kustomize cannot print it (yaml: did not find expected ',' or '}'): remove it from the key or use U+2028`,
      });
    }
    path.push(k);
    const next = fold(r, child, path);
    path.pop();
    if (next !== child) (out ??= { ...v })[k] = next;
  }
  return out ?? v;
}

/** The resource's object with NEL folded as kubectl's output folds it (the same object when it holds none). */
export function afterJsonRoundTrip(r: Res): Res['obj'] {
  return fold(r, r.obj, []) as Res['obj'];
}
