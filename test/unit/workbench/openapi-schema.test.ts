import { describe, expect, it } from 'vitest';

import { componentFor, openApiPath, schemaFromCrd, schemaFromOpenApi } from '../../../main/workbench/openapi-schema.ts';

// A trimmed OpenAPI v3 document in the shape kube-apiserver serves at /openapi/v3/apis/apps/v1.
const doc = {
  components: {
    schemas: {
      'io.k8s.api.apps.v1.Deployment': {
        type: 'object',
        properties: {
          apiVersion: { type: 'string' },
          kind: { type: 'string' },
          metadata: {
            default: {},
            allOf: [{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' }],
          },
          spec: { allOf: [{ $ref: '#/components/schemas/io.k8s.api.apps.v1.DeploymentSpec' }] },
        },
        'x-kubernetes-group-version-kind': [{ group: 'apps', version: 'v1', kind: 'Deployment' }],
      },
      'io.k8s.api.apps.v1.DeploymentSpec': {
        type: 'object',
        required: ['selector'],
        properties: {
          replicas: { type: 'integer', format: 'int32' },
          strategy: { $ref: '#/components/schemas/io.k8s.api.apps.v1.DeploymentStrategy' },
          paused: { type: 'boolean', nullable: true },
        },
      },
      'io.k8s.api.apps.v1.DeploymentStrategy': {
        type: 'object',
        properties: { maxSurge: { $ref: '#/components/schemas/io.k8s.apimachinery.pkg.util.intstr.IntOrString' } },
      },
      'io.k8s.apimachinery.pkg.util.intstr.IntOrString': {
        format: 'int-or-string',
        oneOf: [{ type: 'integer' }, { type: 'string' }],
      },
      'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta': {
        type: 'object',
        properties: {
          name: { type: 'string' },
          labels: { type: 'object', additionalProperties: { type: 'string' }, 'x-kubernetes-map-type': 'granular' },
          creationTimestamp: { type: 'string', format: 'date-time' },
        },
      },
      'io.k8s.api.core.v1.Unrelated': { type: 'object', properties: { x: { type: 'string' } } },
    },
  },
};

type Json = Record<string, unknown>;
const at = (o: unknown, ...keys: string[]): unknown => keys.reduce<unknown>((v, k) => (v as Json | undefined)?.[k], o);

describe('JSON schemas from OpenAPI v3', () => {
  it('names the document of a group-version', () => {
    expect(openApiPath('v1')).toBe('api/v1');
    expect(openApiPath('apps/v1')).toBe('apis/apps/v1');
    expect(openApiPath('kustomize.toolkit.fluxcd.io/v1')).toBe('apis/kustomize.toolkit.fluxcd.io/v1');
  });

  it('finds the component by its group-version-kind, not by its name', () => {
    expect(componentFor(doc, { group: 'apps', version: 'v1', kind: 'Deployment' })).toBe(
      'io.k8s.api.apps.v1.Deployment',
    );
    expect(componentFor(doc, { group: 'apps', version: 'v1beta1', kind: 'Deployment' })).toBeUndefined();
    expect(schemaFromOpenApi(doc, 'apps/v1', 'StatefulSet')).toBeUndefined();
  });

  it('makes a self-contained schema: every referenced component and nothing else, as draft-7 definitions', () => {
    const s = schemaFromOpenApi(doc, 'apps/v1', 'Deployment') as Json;
    expect(Object.keys(s.definitions as Json).sort()).toEqual([
      'io.k8s.api.apps.v1.DeploymentSpec',
      'io.k8s.api.apps.v1.DeploymentStrategy',
      'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta',
      'io.k8s.apimachinery.pkg.util.intstr.IntOrString',
    ]);
    const refs = JSON.stringify(s).match(/"\$ref":"[^"]+"/g) ?? [];
    expect(refs.length).toBeGreaterThan(0);
    for (const r of refs) expect(r).toMatch(/"\$ref":"#\/definitions\//);
    expect(JSON.stringify(s)).not.toContain('x-kubernetes-');
  });

  it('fixes apiVersion and kind, and requires them', () => {
    const s = schemaFromOpenApi(doc, 'apps/v1', 'Deployment') as Json;
    expect(at(s, 'properties', 'apiVersion', 'enum')).toEqual(['apps/v1']);
    expect(at(s, 'properties', 'kind', 'enum')).toEqual(['Deployment']);
    expect(s.required).toEqual(expect.arrayContaining(['apiVersion', 'kind']));
  });

  it('refuses unknown fields where the API declares its fields, keeps maps open, and allows null where nullable', () => {
    const s = schemaFromOpenApi(doc, 'apps/v1', 'Deployment') as Json;
    const defs = s.definitions as Json;
    expect(at(defs, 'io.k8s.api.apps.v1.DeploymentSpec', 'additionalProperties')).toBe(false);
    expect(
      at(defs, 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', 'properties', 'labels', 'additionalProperties'),
    ).toEqual({
      type: 'string',
    });
    expect(at(defs, 'io.k8s.api.apps.v1.DeploymentSpec', 'properties', 'paused', 'type')).toEqual(['boolean', 'null']);
    // Formats the language server would not understand are dropped; date-time is kept.
    expect(at(defs, 'io.k8s.api.apps.v1.DeploymentSpec', 'properties', 'replicas', 'format')).toBeUndefined();
    expect(
      at(defs, 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', 'properties', 'creationTimestamp', 'format'),
    ).toBe('date-time');
  });
});

describe('JSON schemas from a CRD', () => {
  const crd = {
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        properties: {
          interval: { type: 'string', pattern: '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$' },
          values: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
          maxSurge: { 'x-kubernetes-int-or-string': true },
        },
      },
    },
  };

  it('keeps free-form fields open, and takes integers or strings where the CRD says so', () => {
    const s = schemaFromCrd(crd, 'helm.toolkit.fluxcd.io/v2', 'HelmRelease');
    expect(at(s, 'properties', 'spec', 'additionalProperties')).toBe(false);
    expect(at(s, 'properties', 'spec', 'properties', 'values', 'additionalProperties')).toBe(true);
    expect(at(s, 'properties', 'spec', 'properties', 'maxSurge', 'anyOf')).toEqual([
      { type: 'integer' },
      { type: 'string' },
    ]);
    expect(at(s, 'properties', 'kind', 'enum')).toEqual(['HelmRelease']);
  });
});
