// Strategic merge of keyed lists as kustomize's kyaml walker does it. The expected values are what `kubectl
// kustomize` (v5.5) printed for the same target and patch; the differential corpus (smp-ports-protocol-one-side,
// smp-service-ports-and-spread-two-keys, smp-untouched-keyed-lists, smp-list-directives-and-verbatim-lists) checks
// the same behaviour against kubectl at test time.
import { describe, expect, it } from 'vitest';

import { strategicMerge } from '../../../main/kustomize/index.ts';
import { parseYamlStream, scalarSpelling } from '../../../main/kustomize/yaml-parse.ts';
import type { KubeObject } from '../../../main/util/kube-object.ts';

const pod = (spec: Record<string, unknown>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p' },
  spec,
});

const containerPorts = (obj: KubeObject, index = 0): unknown => {
  const spec = obj.spec as { containers: { ports?: unknown }[] };
  return spec.containers[index]?.ports;
};

describe('lists with two list-map keys', () => {
  it("drops a patch element whose protocol is set on one side only and lists the patch's new ports first", () => {
    const target = pod({
      containers: [{ name: 'c', ports: [{ containerPort: 80, protocol: 'TCP' }, { containerPort: 90 }] }],
    });
    const out = strategicMerge(target, {
      spec: {
        containers: [
          {
            name: 'c',
            ports: [
              { containerPort: 80, name: 'http' },
              { containerPort: 90, protocol: 'TCP', name: 'b' },
              { containerPort: 100 },
            ],
          },
        ],
      },
    });
    expect(containerPorts(out)).toEqual([
      { containerPort: 100 },
      { containerPort: 80, protocol: 'TCP' },
      { containerPort: 90 },
    ]);
    // The input is left as it was.
    expect(containerPorts(target)).toEqual([{ containerPort: 80, protocol: 'TCP' }, { containerPort: 90 }]);
  });

  it('merges ports that agree on both keys and keeps ports of another protocol apart', () => {
    const out = strategicMerge(
      pod({
        containers: [
          {
            name: 'c',
            ports: [
              { containerPort: 53, protocol: 'UDP' },
              { containerPort: 53, protocol: 'TCP' },
            ],
          },
        ],
      }),
      { spec: { containers: [{ name: 'c', ports: [{ containerPort: 53, protocol: 'TCP', name: 'dns' }] }] } },
    );
    expect(containerPorts(out)).toEqual([
      { containerPort: 53, protocol: 'UDP' },
      { containerPort: 53, protocol: 'TCP', name: 'dns' },
    ]);
  });

  it('merges Service ports by port and protocol, new ports first', () => {
    const svc: KubeObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'dns' },
      spec: {
        ports: [
          { name: 'dns-udp', port: 53, protocol: 'UDP' },
          { name: 'dns-tcp', port: 53, protocol: 'TCP' },
          { name: 'metrics', port: 9153 },
        ],
      },
    };
    const out = strategicMerge(svc, {
      spec: {
        ports: [
          { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 5353 },
          { name: 'metrics', port: 9153, protocol: 'TCP' },
          { name: 'health', port: 8080 },
        ],
      },
    });
    expect((out.spec as { ports: unknown }).ports).toEqual([
      { name: 'health', port: 8080 },
      { name: 'dns-udp', port: 53, protocol: 'UDP' },
      { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 5353 },
      { name: 'metrics', port: 9153 },
    ]);
  });

  it("reads an element's $patch: delete once: found again under another key tuple it is added", () => {
    const out = strategicMerge(pod({ containers: [{ name: 'c', ports: [{ containerPort: 80, protocol: 'TCP' }] }] }), {
      spec: {
        containers: [
          {
            name: 'c',
            ports: [
              { containerPort: 90, protocol: 'TCP', name: 'gone', $patch: 'delete' },
              { containerPort: 80, protocol: 'TCP' },
              { containerPort: 90, name: 'back' },
            ],
          },
        ],
      },
    });
    expect(containerPorts(out)).toEqual([
      { containerPort: 90, protocol: 'TCP', name: 'gone' },
      { containerPort: 80, protocol: 'TCP' },
    ]);
  });
});

describe('the walk over the whole target', () => {
  it("collapses repeated keys in lists the patch does not mention, the last element at the first one's place", () => {
    const out = strategicMerge(
      pod({
        containers: [
          {
            name: 'c',
            env: [
              { name: 'MODE', value: 'one' },
              { name: 'LEVEL', value: 'info' },
              { name: 'MODE', value: 'two' },
            ],
            ports: [{ containerPort: 8080, protocol: 'UDP' }, { containerPort: 8080 }],
          },
        ],
      }),
      { spec: { restartPolicy: 'Always' } },
    );
    const c = (out.spec as { containers: Record<string, unknown>[] }).containers[0];
    expect(c?.env).toEqual([
      { name: 'MODE', value: 'two' },
      { name: 'LEVEL', value: 'info' },
    ]);
    expect(c?.ports).toEqual([{ containerPort: 8080 }]);
  });

  it("leaves lists without a merge strategy alone and takes a patch's such list verbatim", () => {
    const np: KubeObject = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'np' },
      spec: {
        ingress: [
          {
            ports: [
              { port: 80, protocol: 'TCP' },
              { port: 443, protocol: 'TCP' },
            ],
          },
        ],
      },
    };
    expect(strategicMerge(np, { metadata: { labels: { a: 'b' } } }).spec).toEqual(np.spec);
    const out = strategicMerge(np, {
      spec: { ingress: [{ ports: [{ port: 8443 }, { port: 80, $patch: 'delete' }] }] },
    });
    expect(out.spec).toEqual({ ingress: [{ ports: [{ port: 8443 }, { port: 80, $patch: 'delete' }] }] });
  });

  it('deletes a whole keyed list for a $patch-only delete element, but not for one with other keys', () => {
    const target = pod({ containers: [{ name: 'c', env: [{ name: 'A', value: '1' }] }] });
    const deleted = strategicMerge(target, { spec: { containers: [{ name: 'c', env: [{ $patch: 'delete' }] }] } });
    expect((deleted.spec as { containers: unknown[] }).containers).toEqual([{ name: 'c' }]);
    const merged = strategicMerge(target, {
      spec: { containers: [{ name: 'c', env: [{ $patch: 'merge' }, { name: 'B', value: '2' }] }] },
    });
    expect((merged.spec as { containers: { env: unknown }[] }).containers[0]?.env).toEqual([
      { name: 'B', value: '2' },
      { name: 'A', value: '1' },
    ]);
  });
});

describe('scalar spellings through a merge', () => {
  it("keeps the target's spelling of scalars the patch leaves and the patch's of scalars it sets", () => {
    const [target] = parseYamlStream(
      'apiVersion: v1\nkind: Foo\nmetadata: {name: c}\nx: {a: 0x1F, b: 1.10}\n',
      't.yaml',
    );
    const [patch] = parseYamlStream('x: {c: 1e3, d: [0x10]}\n', 'p.yaml');
    const out = strategicMerge(target as KubeObject, patch as Record<string, unknown>);
    const x = out.x as Record<string, unknown>;
    expect(x).toEqual({ a: 31, b: 1.1, c: 1000, d: [16] });
    expect([scalarSpelling(x, 'a'), scalarSpelling(x, 'b'), scalarSpelling(x, 'c')]).toEqual(['0x1F', '1.10', '1e3']);
    expect(scalarSpelling(x.d as unknown[], 0)).toBe('0x10');
  });
});

describe('what kyaml reads as a directive and which types have list strategies', () => {
  it('keeps $setElementOrder, $retainKeys and $deleteFromPrimitiveList as ordinary fields', () => {
    const out = strategicMerge(
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', finalizers: ['a', 'b', 'a'] }, spec: {} },
      { metadata: { '$deleteFromPrimitiveList/finalizers': ['b'] }, spec: { $retainKeys: ['x'] } },
    );
    expect(out.metadata).toEqual({
      name: 'p',
      finalizers: ['a', 'b'],
      '$deleteFromPrimitiveList/finalizers': ['b'],
    });
    expect(out.spec).toEqual({ $retainKeys: ['x'] });
  });

  it('merges containers of apps/v1 Deployments by name but replaces those of apps/v1beta2, which the schema lacks', () => {
    const deployment = (apiVersion: string): KubeObject => ({
      apiVersion,
      kind: 'Deployment',
      metadata: { name: 'd' },
      spec: { template: { spec: { containers: [{ name: 'a' }, { name: 'b' }] } } },
    });
    const patch = { spec: { template: { spec: { containers: [{ name: 'b', image: 'z' }] } } } };
    const names = (o: KubeObject): unknown =>
      (o.spec as { template: { spec: { containers: { name: string }[] } } }).template.spec.containers.map(
        (c) => c.name,
      );
    expect(names(strategicMerge(deployment('apps/v1'), patch))).toEqual(['b', 'a']);
    expect(names(strategicMerge(deployment('apps/v1beta2'), patch))).toEqual(['b']);
  });
});
