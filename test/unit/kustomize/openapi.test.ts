// Unit tests of the `openapi` field's custom schema (main/kustomize/openapi.ts) and of strategic merge under it.
// Whole builds are compared with kubectl by the corpus (openapi-*, error-openapi-*).
import { describe, expect, it } from 'vitest';

import { parseOpenApiSchema, rootSchema, schemaListStrategy } from '../../../main/kustomize/openapi.ts';
import { strategicMerge } from '../../../main/kustomize/strategic-merge.ts';
import type { KubeObject } from '../../../main/util/kube-object.ts';

const SCHEMA = `
definitions:
  v1.Thing:
    x-kubernetes-group-version-kind: [{group: example.com, version: v1, kind: Thing}]
    properties:
      spec:
        properties:
          items:
            type: array
            items: {$ref: '#/definitions/v1.Item'}
            x-kubernetes-patch-strategy: merge
            x-kubernetes-patch-merge-key: name
          tags:
            type: array
            items: {type: string}
            x-kubernetes-patch-strategy: merge
          plain:
            type: array
            items: {type: string}
  v1.Item:
    properties:
      ports:
        type: array
        items: {type: object}
        x-kubernetes-patch-strategy: merge
        x-kubernetes-list-map-keys: [port, protocol]
        x-kubernetes-patch-merge-key: port
`;

describe('custom OpenAPI schema', () => {
  const schema = parseOpenApiSchema(SCHEMA, 's.yaml');
  const root = rootSchema(schema, 'example.com/v1', 'Thing');

  it('finds a type by its group, version and kind', () => {
    expect(root).toBeDefined();
    expect(rootSchema(schema, 'example.com/v2', 'Thing')).toBeUndefined();
  });

  it('reads list strategies: merge keys, list-map keys over the merge key, primitive sets, replace', () => {
    expect(schemaListStrategy(schema, root, ['spec'], 'items')).toEqual({ type: 'key', keys: ['name'] });
    expect(schemaListStrategy(schema, root, ['spec', 'items'], 'ports')).toEqual({
      type: 'key',
      keys: ['port', 'protocol'],
    });
    expect(schemaListStrategy(schema, root, ['spec'], 'tags')).toEqual({ type: 'primitive' });
    expect(schemaListStrategy(schema, root, ['spec'], 'plain')).toEqual({ type: 'replace' });
    expect(schemaListStrategy(schema, undefined, ['spec'], 'items')).toEqual({ type: 'replace' });
  });

  it('merges a custom resource by the schema and replaces lists of types it does not describe', () => {
    const thing = {
      apiVersion: 'example.com/v1',
      kind: 'Thing',
      metadata: { name: 't' },
      spec: { items: [{ name: 'a', ports: [{ port: 1, protocol: 'TCP' }] }, { name: 'b' }], tags: ['x'] },
    } as unknown as KubeObject;
    const merged = strategicMerge(
      thing,
      { spec: { items: [{ name: 'a', ports: [{ port: 1, protocol: 'UDP' }] }], tags: ['y'] } },
      schema,
    );
    expect(merged.spec).toEqual({
      items: [
        {
          name: 'a',
          ports: [
            { port: 1, protocol: 'UDP' },
            { port: 1, protocol: 'TCP' },
          ],
        },
        { name: 'b' },
      ],
      // kyaml prepends a patch's list elements, primitive sets included (kubectl: finalizers [a, b] + [b, c] → [b, c, a]).
      tags: ['y', 'x'],
    });
    const dep = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd' },
      spec: { template: { spec: { containers: [{ name: 'a' }, { name: 'b' }] } } },
    } as unknown as KubeObject;
    const patched = strategicMerge(
      dep,
      { spec: { template: { spec: { containers: [{ name: 'a', image: 'i' }] } } } },
      schema,
    );
    expect(patched.spec).toEqual({ template: { spec: { containers: [{ name: 'a', image: 'i' }] } } });
  });

  it('refuses a schema without definitions, naming the file', () => {
    expect(() => parseOpenApiSchema('swagger: "2.0"\n', 'bad.yaml')).toThrow(/bad.yaml.*definitions/);
  });
});
