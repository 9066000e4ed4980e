// Unit tests of the engine's parts: strategic merge, name references, the hash suffix, Flux's substitution and
// layer, the in-memory filesystem and the worker pool. Expected values come from kustomize's documented behaviour.
import { describe, expect, it } from 'vitest';

import {
  build,
  buildInWorker,
  contentHash,
  fluxBuild,
  KustomizeError,
  MemoryFs,
  parseYamlStream,
  strategicMerge,
  substitute,
  toYamlStream,
} from '../../../main/kustomize/index.ts';
import type { KubeObject } from '../../../main/util/kube-object.ts';

const deploy = (): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web' },
  spec: {
    template: {
      spec: {
        containers: [
          { name: 'app', image: 'a', env: [{ name: 'A', value: '1' }] },
          { name: 'side', image: 's' },
        ],
      },
    },
  },
});

const containers = (o: KubeObject): Record<string, unknown>[] =>
  (o.spec as { template: { spec: { containers: Record<string, unknown>[] } } }).template.spec.containers;

describe('strategicMerge', () => {
  it('merges containers by name, patch elements first, and leaves the input untouched', () => {
    const input = deploy();
    const out = strategicMerge(input, {
      spec: {
        template: {
          spec: {
            containers: [
              { name: 'side', image: 's2' },
              { name: 'new', image: 'n' },
            ],
          },
        },
      },
    });
    expect(containers(out).map((c) => `${String(c.name)}=${String(c.image)}`)).toEqual(['side=s2', 'new=n', 'app=a']);
    expect(containers(input)[1]!.image).toBe('s');
  });

  it('honours $patch delete and replace, and null deletes a field', () => {
    const out = strategicMerge(deploy(), {
      metadata: { name: null },
      spec: {
        template: {
          spec: {
            containers: [
              { name: 'side', $patch: 'delete' },
              { name: 'app', env: [{ $patch: 'replace' }, { name: 'B', value: '2' }] },
            ],
          },
        },
      },
    });
    expect(out.metadata.name).toBeUndefined();
    expect(containers(out)).toHaveLength(1);
    expect(containers(out)[0]!.env).toEqual([{ name: 'B', value: '2' }]);
  });

  it('replaces lists of custom resources instead of merging them', () => {
    const cr: KubeObject = {
      apiVersion: 'example.com/v1',
      kind: 'App',
      metadata: { name: 'a' },
      spec: { items: [{ name: 'x' }, { name: 'y' }] },
    };
    expect(strategicMerge(cr, { spec: { items: [{ name: 'z' }] } }).spec).toEqual({ items: [{ name: 'z' }] });
  });
});

describe('name references and hash suffixes', () => {
  const fs = new MemoryFs({
    'kustomization.yaml': 'namePrefix: p-\nresources:\n- d.yaml\nconfigMapGenerator:\n- name: cfg\n  literals: [a=b]\n',
    'd.yaml':
      'apiVersion: v1\nkind: Pod\nmetadata: {name: pod}\nspec:\n  containers: [{name: c, image: i, envFrom: [{configMapRef: {name: cfg}}]}]\n  volumes: [{name: v, configMap: {name: cfg}}, {name: w, configMap: {name: elsewhere}}]\n',
  });

  it('points references at the prefixed, hashed name and leaves unknown names alone', () => {
    const { objects } = build(fs, '');
    const cm = objects.find((o) => o.kind === 'ConfigMap')!;
    expect(cm.metadata.name).toMatch(/^p-cfg-[a-z0-9]{10}$/);
    const pod = objects.find((o) => o.kind === 'Pod')!;
    const spec = pod.spec as {
      volumes: { configMap: { name: string } }[];
      containers: { envFrom: { configMapRef: { name: string } }[] }[];
    };
    expect(spec.volumes[0]!.configMap.name).toBe(cm.metadata.name);
    expect(spec.containers[0]!.envFrom[0]!.configMapRef.name).toBe(cm.metadata.name);
    expect(spec.volumes[1]!.configMap.name).toBe('elsewhere');
  });

  it("hashes content only, with kustomize's alphabet", () => {
    const a = contentHash({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: { a: 'b' } });
    const b = contentHash({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'y' }, data: { a: 'b' } });
    const c = contentHash({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: { a: 'c' } });
    expect(a).toBe(b);
    expect(a).not.toBe(c);
    expect(a).toMatch(/^[2-9b-df-hj-np-z]{10}$/);
    // kubectl kustomize names `configMapGenerator: [{name: leader, literals: [a=b]}]` leader-4h2mbtbbt6.
    expect(a).toBe('4h2mbtbbt6');
  });
});

describe('substitute (Flux postBuild)', () => {
  const cm = (data: Record<string, string>, meta: Partial<KubeObject['metadata']> = {}): KubeObject => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'c', ...meta },
    data,
  });

  it('expands the envsubst forms Flux supports', () => {
    const [out] = substitute(
      [
        cm({
          a: '${v}',
          b: '${missing:=dflt}',
          c: '${v^^}',
          d: '${#v}',
          e: '${v:1:2}',
          f: '${v/l/L}',
          g: '${v%lo}',
          h: '$${v}',
          i: '$v',
          j: '${missing}',
        }),
      ],
      { v: 'hello' },
    );
    // The text is read back as YAML, as Flux does: a bare 5 is a number and an empty value is null.
    expect(out!.data).toEqual({
      a: 'hello',
      b: 'dflt',
      c: 'HELLO',
      d: 5,
      e: 'el',
      f: 'heLlo',
      g: 'hel',
      h: '${v}',
      i: '$v',
      j: null,
    });
  });

  it('fails on undefined variables in strict mode, skips disabled objects, and does nothing without vars', () => {
    expect(() => substitute([cm({ a: '${nope}' })], { v: 'x' }, { strict: true })).toThrow(KustomizeError);
    const off = cm({ a: '${v}' }, { annotations: { 'kustomize.toolkit.fluxcd.io/substitute': 'disabled' } });
    expect(substitute([off], { v: 'x' })[0]!.data).toEqual({ a: '${v}' });
    expect(substitute([cm({ a: '${v}' })], {})[0]!.data).toEqual({ a: '${v}' });
    expect(() => substitute([cm({})], { 'bad-name': 'x' })).toThrow(/not a valid variable name/);
  });

  it('re-reads substituted values as YAML, so numbers become numbers', () => {
    const obj: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd' },
      spec: { replicas: '${n}' },
    };
    // The emitter quotes '${n}' only if needed; after substitution the plain 3 is an integer.
    expect(substitute([obj], { n: '3' })[0]!.spec).toEqual({ replicas: 3 });
  });
});

describe('fluxBuild', () => {
  it('generates a kustomization for plain manifests and layers the Flux fields on top', () => {
    const fs = new MemoryFs({
      'apps/deploy.yaml':
        'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 1\n  template: {spec: {containers: [{name: app, image: "nginx:1"}]}}\n',
      'apps/sub/kustomization.yaml': 'resources: [cm.yaml]\n',
      'apps/sub/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {env: "${cluster}"}\n',
      'apps/sub/ignored.yaml': 'not: a resource of the parent\n',
      'apps/readme.md': '# not yaml\n',
    });
    const objects = fluxBuild(fs, 'apps', {
      targetNamespace: 'prod',
      namePrefix: 'x-',
      images: [{ name: 'nginx', newTag: '2' }],
      patches: [{ patch: '- op: replace\n  path: /spec/replicas\n  value: 3', target: { kind: 'Deployment' } }],
      commonMetadata: { labels: { team: 'a' } },
      postBuild: { substitute: { cluster: 'eu-1' } },
    });
    expect(objects.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      'ConfigMap/prod/x-cfg',
      'Deployment/prod/x-web',
    ]);
    expect(objects[0]!.data).toEqual({ env: 'eu-1' });
    expect(objects[1]!.metadata.labels).toEqual({ team: 'a' });
    expect(objects[1]!.spec).toMatchObject({ replicas: 3, template: { spec: { containers: [{ image: 'nginx:2' }] } } });
  });
});

describe('bad input', () => {
  it('reports YAML errors with file, line and column', () => {
    const fs = new MemoryFs({
      'kustomization.yaml': 'resources: [a.yaml]\n',
      'a.yaml': 'kind: ConfigMap\nmetadata:\n  name: [x\n',
    });
    try {
      build(fs, '');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(KustomizeError);
      expect((err as KustomizeError).file).toBe('a.yaml');
      expect((err as KustomizeError).line).toBeGreaterThan(0);
    }
  });

  it('refuses a billion-laughs document as go-yaml does, after a few thousand values', () => {
    const levels = 'abcdefghi'.split('');
    const lines = levels.map((l, i) =>
      i === 0
        ? `  a: &a [${Array(9).fill('"lol"').join(',')}]`
        : `  ${l}: &${l} [${Array(9)
            .fill(`*${levels[i - 1]}`)
            .join(',')}]`,
    );
    const fs = new MemoryFs({
      'kustomization.yaml': 'resources: [bomb.yaml]\n',
      'bomb.yaml': `kind: ConfigMap\nmetadata:\n  name: bomb\ndata:\n${lines.join('\n')}\n`,
    });
    expect(() => build(fs, '')).toThrow(/bomb\.yaml:\d+:\d+: document contains excessive aliasing/);
  });

  it('keeps documents that reuse anchors below the aliasing ratio', () => {
    // 300 containers sharing one anchored env list: 300 aliases, 2,700 values through them, 4,500 in all.
    const containers = Array.from({ length: 300 }, (_, i) => `      - { name: c${i}, image: x, env: *env }`);
    const fs = new MemoryFs({
      'kustomization.yaml': 'resources: [d.yaml]\n',
      'd.yaml': [
        'kind: Pod',
        'metadata: { name: p }',
        'x-env: &env [{ name: A, value: "1" }, { name: B, value: "2" }]',
        'spec:',
        '  containers:',
        ...containers,
      ].join('\n'),
    });
    const [pod] = build(fs, '').objects;
    const list = (pod?.spec as { containers: { env: unknown[] }[] }).containers;
    expect(list).toHaveLength(300);
    expect(list[299]?.env).toEqual([
      { name: 'A', value: '1' },
      { name: 'B', value: '2' },
    ]);
  });

  it('refuses files above the size limit', () => {
    const fs = new MemoryFs({ 'kustomization.yaml': 'resources: [a.yaml]\n', 'a.yaml': `# ${'x'.repeat(2000)}\n` });
    expect(() => build(fs, '', { maxFileBytes: 1000 })).toThrow(/limit/);
  });
});

describe('buildInWorker', () => {
  it('builds in-memory files off the main thread and returns errors as KustomizeError', async () => {
    const files = new Map<string, string>([
      ['k/kustomization.yaml', 'resources: [cm.yaml]\nnamespace: w\n'],
      ['k/cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n'],
    ]);
    const objects = await buildInWorker({ files, dir: 'k' });
    expect(toYamlStream(objects)).toBe('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: w\n');
    await expect(buildInWorker({ files, dir: 'missing' })).rejects.toBeInstanceOf(KustomizeError);
    // The location is said once, as the same error thrown in-process says it.
    files.set('bad/kustomization.yaml', 'resources: [missing.yaml]\n');
    const inProcess = (() => {
      try {
        build(new MemoryFs(Object.fromEntries(files)), 'bad');
      } catch (err) {
        return err as KustomizeError;
      }
      return undefined;
    })();
    const fromWorker: unknown = await buildInWorker({ files, dir: 'bad' }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(inProcess?.file).toBe('bad/kustomization.yaml');
    expect(fromWorker).toBeInstanceOf(KustomizeError);
    expect((fromWorker as KustomizeError).message).toBe(inProcess?.message);
    expect((fromWorker as KustomizeError).file).toBe(inProcess?.file);
  });
});

describe('YAML nesting', () => {
  it('refuses deep nesting with its own message instead of exhausting the stack, flow or block', () => {
    const flow = `x: ${'['.repeat(5000)}${']'.repeat(5000)}\n`;
    let block = '';
    for (let i = 0; i < 1000; i++) block += `${' '.repeat(i)}a:\n`;
    for (const text of [flow, block])
      expect(() => parseYamlStream(text, 'deep.yaml')).toThrow(
        /deep\.yaml:\d+:\d+: YAML nested deeper than 256 levels/,
      );
    // Real manifests nest a few dozen levels at most, and quoted brackets do not count.
    expect(parseYamlStream(`a: "${'['.repeat(400)}"\nb: [[1, 2], {c: [3]}]\n`, 'ok.yaml')).toHaveLength(1);
  });
});

describe('read budget', () => {
  it('stops a build that reads more than its total budget, naming the file that crossed it', () => {
    const files: Record<string, string> = { 'kustomization.yaml': 'resources:\n- a.yaml\n- b.yaml\n- c.yaml\n' };
    for (const n of ['a', 'b', 'c'])
      files[`${n}.yaml`] =
        `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${n}\ndata:\n  v: "${'x'.repeat(400)}"\n`;
    const fs = new MemoryFs(files);
    expect(build(fs, '', { maxTotalBytes: 100_000 }).objects).toHaveLength(3);
    expect(() => build(fs, '', { maxTotalBytes: 1000 })).toThrow(
      /^c\.yaml: the build has read \d+ bytes, more than its 1000-byte budget/,
    );
    expect(() => fluxBuild(fs, '', {}, { maxTotalBytes: 1000 })).toThrow(/more than its 1000-byte budget/);
  });
});
