import { describe, expect, it } from 'vitest';

import {
  type CustomResourceDefinition,
  loadCrdManifests,
  parseCrdManifests,
} from '../../../../main/controllers/crds/crd-manifests.ts';
import { storageVersion } from '../../../../main/controllers/crds/install-flux-crds.ts';
import { fluxKindList } from '../../../../main/flux/kinds.ts';

const crds = await loadCrdManifests();
const byName = new Map(crds.map((c) => [c.metadata.name, c]));

type Schema = { properties?: Record<string, Schema>; default?: unknown };

interface SchemaNode {
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  additionalProperties?: SchemaNode | boolean;
}

const SCHEMA_KEYWORDS = new Set([
  'type',
  'description',
  'properties',
  'items',
  'additionalProperties',
  'required',
  'enum',
  'pattern',
  'default',
  'format',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'nullable',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-validations',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
]);

function schemaOf(crd: CustomResourceDefinition, version: string): Schema {
  const v = crd.spec.versions.find((x) => x.name === version) as { schema: { openAPIV3Schema: Schema } } | undefined;
  if (!v) throw new Error(`${crd.metadata.name ?? ''} has no version ${version}`);
  return v.schema.openAPIV3Schema;
}

describe("Fluxdeck's CRD manifests", () => {
  it('holds exactly one CRD per Flux kind Fluxdeck knows', () => {
    expect(crds.map((c) => c.metadata.name).sort()).toEqual(fluxKindList.map((k) => k.crdName).sort());
  });

  it.each(fluxKindList.map((k) => [k.kind, k] as const))('%s matches its kind descriptor', (_kind, k) => {
    const crd = byName.get(k.crdName);
    expect(crd?.spec.group).toBe(k.group);
    expect(crd?.spec.scope).toBe('Namespaced');
    expect(crd?.spec.names).toMatchObject({
      kind: k.kind,
      listKind: k.listKind,
      plural: k.plural,
      singular: k.singular,
    });
    expect(crd?.spec.names.shortNames ?? []).toEqual(k.shortNames);
    expect(crd && storageVersion(crd)).toBe(k.version);
  });

  it.each(crds.map((c) => [c.metadata.name, c] as const))('%s is labelled and categorised', (_n, crd) => {
    expect(crd.metadata.labels).toMatchObject({
      'app.kubernetes.io/managed-by': 'fluxdeck',
      'app.kubernetes.io/part-of': 'fluxdeck',
    });
    expect(crd.spec.names.categories).toEqual(expect.arrayContaining(['all', 'fluxcd']));
    expect(crd.spec.versions.filter((v) => v.storage)).toHaveLength(1);
    expect(crd.spec).not.toHaveProperty('conversion');
    for (const v of crd.spec.versions) expect(v.served).toBe(true);
  });

  // Flux's notification v1beta3 dropped the status of Provider and Alert: they are configuration only.
  const statusless = new Set(['providers.notification.toolkit.fluxcd.io', 'alerts.notification.toolkit.fluxcd.io']);

  it.each(crds.map((c) => [c.metadata.name, c] as const))('%s has Flux status and printer columns', (name, crd) => {
    for (const v of crd.spec.versions) {
      const columns = (v.additionalPrinterColumns as { name: string }[]).map((c) => c.name);
      const status = schemaOf(crd, v.name).properties?.status;
      if (statusless.has(name ?? '')) {
        expect(columns).toEqual(['Age']);
        expect(status).toBeUndefined();
        expect(v).not.toHaveProperty('subresources');
        continue;
      }
      expect(columns).toEqual(expect.arrayContaining(['Age', 'Ready', 'Status']));
      expect(v.subresources).toEqual({ status: {} });
      expect(status?.default).toEqual({ observedGeneration: -1 });
    }
  });

  // A comma in an unquoted description inside a YAML flow map silently makes a new key; the apiserver then refuses the
  // CRD at install time. Every schema node may hold only OpenAPI keywords.
  it.each(crds.map((c) => [c.metadata.name, c] as const))('%s uses only schema keywords', (_n, crd) => {
    const strange: string[] = [];
    const walk = (node: SchemaNode, path: string): void => {
      for (const key of Object.keys(node)) if (!SCHEMA_KEYWORDS.has(key)) strange.push(`${path}: ${key}`);
      for (const [name, child] of Object.entries(node.properties ?? {})) walk(child, `${path}.${name}`);
      if (node.items) walk(node.items, `${path}[]`);
      if (typeof node.additionalProperties === 'object') walk(node.additionalProperties, `${path}{}`);
    };
    for (const v of crd.spec.versions) walk(schemaOf(crd, v.name), v.name);
    expect(strange).toEqual([]);
  });

  it('serves extra versions with the storage version schema, so no conversion webhook is needed', () => {
    for (const crd of crds) {
      const storage = schemaOf(crd, storageVersion(crd));
      for (const v of crd.spec.versions) expect(schemaOf(crd, v.name)).toEqual(storage);
    }
  });

  it('names the file and line of broken YAML', () => {
    expect(() => parseCrdManifests('apiVersion: v1\n  kind: [', 'broken.yaml')).toThrow(
      /^broken\.yaml:\d+: invalid YAML/,
    );
    expect(() => parseCrdManifests('apiVersion: v1\nkind: ConfigMap\n', 'cm.yaml')).toThrow(
      /cm\.yaml: expected apiextensions\.k8s\.io\/v1 CustomResourceDefinition/,
    );
  });
});
