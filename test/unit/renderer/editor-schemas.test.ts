import { describe, expect, it } from 'vitest';

import type { KindSchema } from '../../../main/contract/index.ts';
import { combineSchemas, kindsIn, schemaUriOf } from '../../../renderer/features/editor/schemas.ts';

describe('which schemas a YAML file needs', () => {
  it('reads each document’s top-level apiVersion and kind, once each, in order', () => {
    const text = [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      '  name: web',
      '  labels: { kind: not-this }',
      '---',
      '# a comment',
      "apiVersion: 'v1'",
      'kind: Service # trailing comment',
      '---',
      'kind: Service',
      'apiVersion: v1',
      '---',
      'kind: Orphan',
      '',
    ].join('\n');
    expect(kindsIn(text)).toEqual([
      { apiVersion: 'apps/v1', kind: 'Deployment' },
      { apiVersion: 'v1', kind: 'Service' },
    ]);
    expect(kindsIn('')).toEqual([]);
  });
});

describe('one schema per file', () => {
  const schema = (apiVersion: string, kind: string, defs: Record<string, unknown>): KindSchema => ({
    apiVersion,
    kind,
    source: 'openapi',
    schema: { type: 'object', properties: { kind: { enum: [kind] } }, definitions: defs },
  });

  it('uses the kind’s own schema for a file of one kind', () => {
    const d = schema('apps/v1', 'Deployment', { Meta: { type: 'object' } });
    expect(combineSchemas([d])).toBe(d.schema);
    expect(combineSchemas([])).toBeUndefined();
  });

  it('applies each kind’s schema to the documents of that kind in a file with several', () => {
    const combined = combineSchemas([
      schema('apps/v1', 'Deployment', { Meta: { type: 'object' }, Spec: { type: 'object' } }),
      schema('v1', 'Service', { Meta: { type: 'object' }, Port: { type: 'object' } }),
    ]) as { allOf: { if: unknown; then: { $ref: string } }[]; definitions: Record<string, unknown> };
    expect(combined.allOf).toHaveLength(2);
    expect(combined.allOf[1]?.if).toEqual({
      properties: { apiVersion: { const: 'v1' }, kind: { const: 'Service' } },
      required: ['apiVersion', 'kind'],
    });
    const ref = combined.allOf[0]?.then.$ref.replace('#/definitions/', '') ?? '';
    expect(combined.definitions[ref]).toEqual({ type: 'object', properties: { kind: { enum: ['Deployment'] } } });
    expect(Object.keys(combined.definitions)).toEqual(expect.arrayContaining(['Meta', 'Spec', 'Port']));
  });

  it('names each schema by a URI ending in a file name, the same for the same kinds', () => {
    const uri = schemaUriOf('prod|apps/v1/Deployment');
    expect(uri).toMatch(/^https:\/\/[^/]+\/[a-z0-9]+\.json$/);
    expect(schemaUriOf('prod|apps/v1/Deployment')).toBe(uri);
    expect(schemaUriOf('staging|apps/v1/Deployment')).not.toBe(uri);
  });
});
