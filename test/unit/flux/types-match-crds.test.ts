import { join } from 'node:path';

import ts from 'typescript';
import { describe, expect, it } from 'vitest';

import { type CustomResourceDefinition, loadCrdManifests } from '../../../main/controllers/crds/crd-manifests.ts';
import { storageVersion } from '../../../main/controllers/crds/install-flux-crds.ts';
import { fluxKindList } from '../../../main/flux/kinds.ts';

// The TypeScript types of main/flux and the CRD schemas in resources/crds are written by hand from the same
// Flux API reference. This test walks both with the TypeScript checker and reports every difference: a field on one
// side only, a required field typed optional (or the reverse), a list typed as a scalar, an enum whose values differ.

const API_DIR = join(import.meta.dirname, '../../../main/flux');
const FILES: Record<string, string> = {
  'source.toolkit.fluxcd.io': 'source.ts',
  'kustomize.toolkit.fluxcd.io': 'kustomize.ts',
  'helm.toolkit.fluxcd.io': 'helm.ts',
  'image.toolkit.fluxcd.io': 'image.ts',
  'notification.toolkit.fluxcd.io': 'notification.ts',
};

interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  additionalProperties?: Schema | boolean;
  enum?: unknown[];
  'x-kubernetes-preserve-unknown-fields'?: boolean;
}

const program = ts.createProgram(
  Object.values(FILES).map((f) => join(API_DIR, f)),
  {
    strict: true,
    noEmit: true,
    allowImportingTsExtensions: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2023,
  },
);
const checker = program.getTypeChecker();

function exportedType(file: string, name: string): ts.Type {
  const source = program.getSourceFile(join(API_DIR, file));
  const module = source && checker.getSymbolAtLocation(source);
  const symbol = module && checker.getExportsOfModule(module).find((s) => s.name === name);
  if (!symbol) throw new Error(`${file} exports no ${name}`);
  return checker.getDeclaredTypeOfSymbol(symbol);
}

function propertyType(type: ts.Type, name: string): ts.Type | undefined {
  const prop = checker.getPropertyOfType(type, name);
  return prop && checker.getNonNullableType(checker.getTypeOfSymbol(prop));
}

function literalValues(type: ts.Type): string[] | undefined {
  const parts = type.isUnion() ? type.types : [type];
  if (!parts.every((t) => t.isStringLiteral())) return undefined;
  return parts.map((t) => t.value).sort();
}

function primitiveMatches(type: ts.Type, schemaType: string): boolean {
  const flags = type.isUnion() ? type.types.reduce((f, t) => f | t.flags, 0) : type.flags;
  if (schemaType === 'string') return (flags & ts.TypeFlags.StringLike) !== 0;
  if (schemaType === 'integer') return (flags & ts.TypeFlags.NumberLike) !== 0;
  if (schemaType === 'boolean') return (flags & ts.TypeFlags.BooleanLike) !== 0;
  return false;
}

/** Differences between a TypeScript type and a schema node, as `path: what` lines. */
function compare(type: ts.Type, schema: Schema, path: string, out: string[]): void {
  if (schema['x-kubernetes-preserve-unknown-fields'] && !schema.type) return;
  if (schema.type === 'array') {
    const element = checker.isArrayType(type) ? checker.getTypeArguments(type as ts.TypeReference)[0] : undefined;
    if (!element || !schema.items) out.push(`${path}: the CRD has a list, the type ${checker.typeToString(type)}`);
    else compare(checker.getNonNullableType(element), schema.items, `${path}[]`, out);
    return;
  }
  if (schema.type === 'object' && typeof schema.additionalProperties === 'object') {
    const value = checker.getIndexInfoOfType(type, ts.IndexKind.String)?.type;
    if (!value) out.push(`${path}: the CRD has a map, the type ${checker.typeToString(type)}`);
    else compare(checker.getNonNullableType(value), schema.additionalProperties, `${path}{}`, out);
    return;
  }
  if (schema.type === 'object' || schema.properties) {
    compareObject(type, schema, path, out);
    return;
  }
  if (schema.type && !primitiveMatches(type, schema.type)) {
    out.push(`${path}: the CRD has ${schema.type}, the type ${checker.typeToString(type)}`);
  }
  const values = literalValues(type);
  const expected = schema.enum?.map(String).sort();
  if (expected && values?.join() !== expected.join()) {
    out.push(`${path}: the CRD allows ${expected.join('|')}, the type ${checker.typeToString(type)}`);
  }
}

function compareObject(type: ts.Type, schema: Schema, path: string, out: string[]): void {
  const declared = new Set(checker.getPropertiesOfType(type).map((p) => p.name));
  const inSchema = Object.keys(schema.properties ?? {});
  for (const name of inSchema) {
    const prop = checker.getPropertyOfType(type, name);
    const child = schema.properties?.[name];
    if (!prop || !child) {
      out.push(`${path}.${name}: in the CRD, not in the type`);
      continue;
    }
    const optional = (prop.flags & ts.SymbolFlags.Optional) !== 0;
    const required = schema.required?.includes(name) ?? false;
    if (optional === required) out.push(`${path}.${name}: required in the ${required ? 'CRD' : 'type'} only`);
    compare(checker.getNonNullableType(checker.getTypeOfSymbol(prop)), child, `${path}.${name}`, out);
  }
  for (const name of declared) if (!inSchema.includes(name)) out.push(`${path}.${name}: in the type, not in the CRD`);
}

const crds = await loadCrdManifests();

describe('API types and CRD schemas agree', () => {
  it.each(fluxKindList.map((k) => [k.kind, k] as const))('%s', (kind, k) => {
    const crd = crds.find((c) => c.metadata.name === k.crdName) as CustomResourceDefinition;
    const version = crd.spec.versions.find((v) => v.name === storageVersion(crd)) as unknown as {
      schema: { openAPIV3Schema: { properties: Record<string, Schema> } };
    };
    const root = exportedType(FILES[k.group] ?? '', kind);
    const problems: string[] = [];
    for (const part of ['spec', 'status']) {
      const schema = version.schema.openAPIV3Schema.properties[part];
      const type = propertyType(root, part);
      if (schema && type) compare(type, schema, part, problems);
      else if (schema || type) problems.push(`${part}: only in the ${schema ? 'CRD' : 'type'}`);
    }
    expect(problems).toEqual([]);
  });
});
