/**
 * configMapGenerator and secretGenerator: data from literals, files and env files, generator options, and the
 * create/merge/replace behaviours against resources already in the build.
 */
import type { KubeObject } from '../util/kube-object.ts';
import { KustomizeError } from './errors.ts';
import type { GeneratorArgs, GeneratorOptions } from './kustomization.ts';
import { newRes, type Res } from './resource.ts';

export interface FileReader {
  /** Reads a file relative to the kustomization root, enforcing the load restrictor. */
  read(rel: string): Uint8Array;
  file: string;
}

function stripQuotes(v: string): string {
  if (v.length >= 2 && ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'")))) {
    return v.slice(1, -1);
  }
  return v;
}

function splitKeyValue(item: string, what: string, file: string): [string, string] {
  const i = item.indexOf('=');
  if (i <= 0) throw new KustomizeError({ file, message: `invalid ${what} '${item}': expected KEY=VALUE` });
  return [item.slice(0, i), item.slice(i + 1)];
}

function basename(p: string): string {
  const parts = p.split('/');
  return parts[parts.length - 1] ?? p;
}

function parseEnvFile(text: string): [string, string][] {
  const out: [string, string][] = [];
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  for (const rawLine of lines) {
    const line = rawLine.replace(/\r$/, '').replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) continue;
    // A bare `KEY` asks kustomize for the variable from its own environment. The engine is pure and must not leak
    // the desktop's environment into manifests, so the value is empty: what kubectl prints with an empty environment.
    // kubectl (kustomize v5.5) takes keys as they are written (no name validation, trailing blanks kept) and drops a
    // line whose key is empty.
    const eq = line.indexOf('=');
    const key = eq < 0 ? line : line.slice(0, eq);
    if (key === '') continue;
    out.push([key, eq < 0 ? '' : line.slice(eq + 1)]);
  }
  return out;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function isUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

interface Collected {
  data: Record<string, string>;
  binary: Record<string, Uint8Array>;
}

function collect(args: GeneratorArgs, reader: FileReader): Collected {
  const data: Record<string, string> = {};
  const binary: Record<string, Uint8Array> = {};
  const put = (key: string, value: string | Uint8Array): void => {
    if (key in data || key in binary) {
      throw new KustomizeError({
        file: reader.file,
        message: `generator '${args.name ?? ''}': key '${key}' is defined more than once`,
      });
    }
    if (typeof value === 'string') data[key] = value;
    else binary[key] = value;
  };
  const envs = [...(args.envs ?? []), ...(args.env ? [args.env] : [])];
  for (const env of envs) {
    const text = new TextDecoder().decode(reader.read(env));
    for (const [k, v] of parseEnvFile(text)) put(k, v);
  }
  for (const lit of args.literals ?? []) {
    const [k, v] = splitKeyValue(lit, 'literal', reader.file);
    put(k, stripQuotes(v));
  }
  for (const f of args.files ?? []) {
    const eq = f.indexOf('=');
    const key = eq > 0 ? f.slice(0, eq) : basename(f);
    const path = eq > 0 ? f.slice(eq + 1) : f;
    const bytes = reader.read(path);
    const text = isUtf8(bytes);
    put(key, text ?? bytes);
  }
  return { data, binary };
}

function mergeOptions(global: GeneratorOptions | undefined, local: GeneratorOptions | undefined): GeneratorOptions {
  return {
    labels: { ...global?.labels, ...local?.labels },
    annotations: { ...global?.annotations, ...local?.annotations },
    // kustomize ORs the two: an entry cannot re-enable a hash that generatorOptions disabled.
    disableNameSuffixHash: (global?.disableNameSuffixHash ?? false) || (local?.disableNameSuffixHash ?? false),
    immutable: local?.immutable ?? global?.immutable ?? false,
  };
}

/** Kustomize's Secret encoding: base64 broken into 70-character lines (each ending in a newline) once it is long. */
function b64(s: string | Uint8Array): string {
  const enc = Buffer.from(s).toString('base64');
  if (enc.length < 70) return enc;
  let out = '';
  for (let i = 0; i < enc.length; i += 70) out += `${enc.slice(i, i + 70)}\n`;
  return out;
}

/** Builds the object one generator entry describes. */
export function generate(
  kind: 'ConfigMap' | 'Secret',
  args: GeneratorArgs,
  globalOptions: GeneratorOptions | undefined,
  reader: FileReader,
): Res {
  if (!args.name) throw new KustomizeError({ file: reader.file, message: `a ${kind} generator needs a name` });
  const { data, binary } = collect(args, reader);
  const opts = mergeOptions(globalOptions, args.options);
  const metadata: KubeObject['metadata'] = { name: args.name };
  if (args.namespace) metadata.namespace = args.namespace;
  if (opts.labels && Object.keys(opts.labels).length) metadata.labels = opts.labels;
  if (opts.annotations && Object.keys(opts.annotations).length) metadata.annotations = opts.annotations;
  const obj: KubeObject = { apiVersion: 'v1', kind, metadata };
  if (kind === 'Secret') {
    obj.type = args.type ?? 'Opaque';
    const encoded: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...data, ...binary })) encoded[k] = b64(v);
    // Kustomize's Secret generator always writes `data`, empty or not.
    obj.data = encoded;
  } else {
    if (Object.keys(data).length) obj.data = data;
    if (Object.keys(binary).length) {
      obj.binaryData = Object.fromEntries(
        Object.entries(binary).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
      );
    }
  }
  if (opts.immutable) obj.immutable = true;
  const res = newRes(obj, reader.file);
  res.needsHash = !opts.disableNameSuffixHash;
  const behavior = args.behavior ?? 'create';
  if (behavior !== 'create' && behavior !== 'merge' && behavior !== 'replace') {
    throw new KustomizeError({ file: reader.file, message: `unknown generator behavior '${behavior}'` });
  }
  res.behavior = behavior;
  return res;
}

const PAYLOAD_FIELDS = ['data', 'binaryData'] as const;

/**
 * Folds a merge/replace generator result into the existing resource it names, as kustomize's appendReplaceOrMerge:
 * the generator's own object wins (its type, its immutable or none), with the old one's name, namespace, labels and
 * annotations under its own, and for merge the old data under its own.
 */
export function mergeGenerated(existing: Res, gen: Res): void {
  const g = gen.obj;
  const old = existing.obj;
  const replace = gen.behavior === 'replace';
  const e: KubeObject = { ...g, metadata: { ...g.metadata, name: old.metadata.name } };
  if (old.metadata.namespace === undefined) delete e.metadata.namespace;
  else e.metadata.namespace = old.metadata.namespace;
  const labels = { ...old.metadata.labels, ...g.metadata.labels };
  if (Object.keys(labels).length) e.metadata.labels = labels;
  const annotations = { ...old.metadata.annotations, ...g.metadata.annotations };
  if (Object.keys(annotations).length) e.metadata.annotations = annotations;
  if (!replace) {
    for (const f of PAYLOAD_FIELDS) {
      const merged = {
        ...(old[f] as Record<string, string> | undefined),
        ...(g[f] as Record<string, string> | undefined),
      };
      if (Object.keys(merged).length) e[f] = merged;
    }
  }
  existing.obj = e;
  // A replaced ConfigMap or Secret now comes from the replacing generator (buildMetadata's origin says so).
  if (replace && gen.origin) existing.origin = gen.origin;
  existing.needsHash = existing.needsHash && gen.needsHash;
}
