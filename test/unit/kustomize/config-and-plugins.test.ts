// Unit tests of the transformer configuration (`configurations`, `crds`), builtin plugin configs and buildMetadata.
// Whole builds are checked against kubectl by the differential corpus (configurations-*, crds-*, plugin-*,
// buildmetadata-*); these pin the pure parts and the refusals.
import { describe, expect, it } from 'vitest';

import { parseBuildMetadata } from '../../../main/kustomize/build-metadata.ts';
import { configFromCrds, defaultConfig, mergeConfig, parseConfigFile } from '../../../main/kustomize/config.ts';
import { build, KustomizeError, MemoryFs, toYamlStream } from '../../../main/kustomize/index.ts';

describe('transformer configuration', () => {
  it('reads field specs and name references from a configurations file, field names case-insensitively', () => {
    const c = parseConfigFile(
      'namePrefix:\n- path: spec/alias\n  kind: Thing\nNameReference:\n- kind: Secret\n  fieldSpecs:\n  - {kind: Thing, path: spec/secret}\n',
      'c.yaml',
    );
    expect(c.namePrefix).toEqual([{ path: 'spec/alias', kind: 'Thing' }]);
    expect(c.nameReference).toEqual([{ kind: 'Secret', specs: [{ kind: 'Thing', path: 'spec/secret' }] }]);
  });

  it('merges into the defaults: a known referral gains specs, a repeated spec is kept once', () => {
    const base = defaultConfig();
    const merged = mergeConfig(
      base,
      {
        commonLabels: [{ path: 'metadata/labels', create: true }],
        nameReference: [{ kind: 'Secret', specs: [{ kind: 'Thing', path: 'spec/secret' }] }],
      },
      'c.yaml',
    );
    expect(merged.commonLabels).toHaveLength(base.commonLabels.length);
    const secret = merged.nameReference.find((r) => r.kind === 'Secret');
    expect(secret?.specs).toContainEqual({ kind: 'Thing', path: 'spec/secret' });
    expect(merged.nameReference).toHaveLength(base.nameReference.length);
  });

  it('refuses a spec that repeats a default with another create flag, and unknown fields', () => {
    expect(() =>
      mergeConfig(defaultConfig(), { commonLabels: [{ path: 'metadata/labels', create: false }] }, 'c.yaml'),
    ).toThrow(/conflicting fieldspecs/);
    expect(() => parseConfigFile('commonLabel: []\n', 'c.yaml')).toThrow(/unknown field "commonLabel"/);
  });

  it('turns OpenAPI definitions with kustomize extensions into name references and field specs', () => {
    const defs = {
      'example.com.v1.Thing': {
        Schema: {
          properties: { apiVersion: {}, kind: {}, metadata: {}, spec: { $ref: 'example.com.v1.ThingSpec' } },
        },
      },
      'example.com.v1.ThingSpec': {
        Schema: {
          properties: {
            db: { 'x-kubernetes-object-ref-api-version': 'v1', 'x-kubernetes-object-ref-kind': 'Secret' },
            pods: { 'x-kubernetes-label-selector': '' },
          },
        },
      },
    };
    const c = configFromCrds(JSON.stringify(defs), 'crd.json');
    expect(c.nameReference).toEqual([{ kind: 'Secret', specs: [{ kind: 'Thing', path: 'spec/db/name' }] }]);
    expect(c.commonLabels).toEqual([{ kind: 'Thing', path: 'spec/pods' }]);
  });
});

const files = (transformers: string): MemoryFs =>
  new MemoryFs({
    'kustomization.yaml': `resources: [cm.yaml]\ntransformers:\n${transformers}`,
    'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n',
  });

describe('builtin plugin configs', () => {
  it('runs an inline LabelTransformer with its own field specs', () => {
    const fs = files(
      '- |-\n  apiVersion: builtin\n  kind: LabelTransformer\n  metadata: {name: l}\n  labels: {team: a}\n  fieldSpecs: [{path: metadata/labels, create: true}]\n',
    );
    expect(toYamlStream(build(fs, '').objects)).toContain('team: a');
  });

  it('refuses exec and container plugins, naming the kustomization', () => {
    const fs = files('- |-\n  apiVersion: someteam.example.com/v1\n  kind: SedTransformer\n  metadata: {name: s}\n');
    expect(() => build(fs, '')).toThrow(KustomizeError);
    expect(() => build(fs, '')).toThrow(/kustomization.yaml: external plugins disabled.*SedTransformer/);
  });

  it('refuses builtins this engine does not run with a clear error', () => {
    const fs = files('- |-\n  apiVersion: builtin\n  kind: ValueAddTransformer\n  metadata: {name: v}\n');
    expect(() => build(fs, '')).toThrow(/ValueAddTransformer is not supported/);
  });
});

describe('buildMetadata', () => {
  it('reads the three options and ignores unknown ones, as kubectl does', () => {
    expect(parseBuildMetadata(['managedByLabel', 'originAnnotation'], 'k.yaml')).toEqual({
      origin: false,
      transformations: false,
      managedBy: true,
    });
    expect(() => parseBuildMetadata('managedByLabel', 'k.yaml')).toThrow(/must be a list of strings/);
  });
});
