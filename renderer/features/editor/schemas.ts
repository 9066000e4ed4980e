/**
 * Validation and completion from the live cluster's schemas: each model's documents name their apiVersion and kind,
 * main serves the JSON schema of each (from the cluster's OpenAPI v3 and CRDs, cached per cluster), and monaco-yaml
 * gets one schema per model: the kind's own when every document is of one kind, else one that applies each kind's
 * schema to the documents of that kind. Schemas are fetched once per cluster and kind in this window too.
 */
import type * as MonacoApi from 'monaco-editor/editor/editor.api.js';
import type { JSONSchema, SchemasSettings } from 'monaco-yaml';

import type { KindSchema } from '../../../main/contract/index.ts';
import { transport } from '../../store/actions.ts';
import { loadMonaco } from './monaco.ts';

type TextModel = MonacoApi.editor.ITextModel;

export interface KindRef {
  apiVersion: string;
  kind: string;
}

const TOP_LEVEL = (key: string): RegExp => new RegExp(`^${key}:[ \\t]*["']?([^"'#\\s]+)["']?[ \\t]*(?:#.*)?$`, 'm');

/**
 * The apiVersion and kind of each document of a YAML stream, read from their top-level lines (cheap enough to run on
 * every edit; a document without both has no schema). Distinct, in order of appearance.
 */
export function kindsIn(text: string): KindRef[] {
  const out: KindRef[] = [];
  for (const doc of text.split(/^---[ \t]*(?:#.*)?$/m)) {
    const apiVersion = TOP_LEVEL('apiVersion').exec(doc)?.[1];
    const kind = TOP_LEVEL('kind').exec(doc)?.[1];
    if (apiVersion && kind && !out.some((k) => k.apiVersion === apiVersion && k.kind === kind))
      out.push({ apiVersion, kind });
  }
  return out;
}

const defName = (k: KindRef): string => `fluxdeck.${k.apiVersion}.${k.kind}`.replace(/\//g, '.');

/**
 * One schema for a model: the kind's own schema when there is one kind; with several, each kind's schema applies
 * to the documents whose apiVersion and kind are its (the language server checks every document of a stream
 * against the model's schema). Definitions of one cluster share their names, so they merge.
 */
export function combineSchemas(schemas: readonly KindSchema[]): JSONSchema | undefined {
  const [only] = schemas;
  if (!only) return undefined;
  if (schemas.length === 1) return only.schema;
  const definitions: Record<string, JSONSchema> = {};
  const branches: JSONSchema[] = [];
  for (const s of schemas) {
    const { definitions: defs, ...root } = s.schema as JSONSchema;
    Object.assign(definitions, defs);
    definitions[defName(s)] = root;
    branches.push({
      if: {
        properties: { apiVersion: { const: s.apiVersion }, kind: { const: s.kind } },
        required: ['apiVersion', 'kind'],
      },
      then: { $ref: `#/definitions/${defName(s)}` },
    });
  }
  return { allOf: branches, definitions };
}

const fetched = new Map<string, Promise<KindSchema | undefined>>();

function schemaOf(cluster: string, k: KindRef): Promise<KindSchema | undefined> {
  const key = `${cluster}|${k.apiVersion}|${k.kind}`;
  let p = fetched.get(key);
  if (!p) {
    // A kind the cluster does not serve simply has no schema (YAML syntax is still checked); a failed request is
    // tried again on the next edit.
    p = transport()
      .invoke('schemas:get', { cluster, apiVersion: k.apiVersion, kind: k.kind })
      .catch((err: unknown) => {
        if ((err as { code?: string }).code !== 'not-found') fetched.delete(key);
        return undefined;
      });
    fetched.set(key, p);
  }
  return p;
}

/** The schema setting of every tracked model, by model URI. */
const settings = new Map<string, SchemasSettings>();
let pushing: Promise<unknown> = Promise.resolve();

function publish(): void {
  pushing = pushing.then(async () => {
    const { yaml } = await loadMonaco();
    await yaml.update({ ...yaml.getOptions(), schemas: [...settings.values()] });
  });
}

/**
 * The URI naming a schema. The language server takes the schema's name from the URI's last path segment and loads
 * it from the URI unless it is registered under exactly that URI, so it must have a path ending in a file name.
 */
export function schemaUriOf(id: string): string {
  let h = 5381;
  for (let i = 0; i < id.length; i++) h = ((h * 33) ^ id.charCodeAt(i)) >>> 0;
  return `https://schemas.fluxdeck.invalid/${h.toString(36)}.json`;
}

async function refresh(model: TextModel, cluster: string): Promise<void> {
  if (model.isDisposed()) return;
  const uri = model.uri.toString();
  const kinds = kindsIn(model.getValue());
  const id = `${cluster}|${kinds.map((k) => `${k.apiVersion}/${k.kind}`).join(',')}`;
  const schemaUri = schemaUriOf(id);
  if (settings.get(uri)?.uri === schemaUri) return;
  const schemas = (await Promise.all(kinds.map((k) => schemaOf(cluster, k)))).filter((s) => s !== undefined);
  if (model.isDisposed()) return;
  const schema = combineSchemas(schemas);
  if (schema) settings.set(uri, { uri: schemaUri, fileMatch: [uri], schema });
  else settings.delete(uri);
  publish();
}

/** Keeps the model's schema in step with the kinds it holds (checked a moment after typing stops). */
export function trackSchemas(model: TextModel, cluster: string): MonacoApi.IDisposable {
  let timer: ReturnType<typeof setTimeout> | undefined;
  // A schema that cannot be had leaves the model with YAML syntax checks only.
  const run = (): void => {
    refresh(model, cluster).catch(() => undefined);
  };
  run();
  const sub = model.onDidChangeContent(() => {
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(run, 400);
  });
  return {
    dispose: () => {
      if (timer !== undefined) clearTimeout(timer);
      sub.dispose();
    },
  };
}

export function forgetSchemas(model: TextModel): void {
  if (settings.delete(model.uri.toString())) publish();
}
