import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

import { componentsOptions, generateComponents } from '../../../main/controllers/crds/flux-components.ts';
import type { KubeObject } from '../../../main/util/kube-object.ts';

// Fluxdeck's gotk-components against Flux's own: the manifests `flux install --export` of Flux v2.9.5 would build,
// made here as flux does it (pkg/manifestgen/install): flux2's manifests/bases (ServiceAccount, labels, patch) over
// each controller's config/manager from its Go module, manifests/rbac with the `-<namespace>` suffix and the
// namespace replaced, manifests/policies, and the top kustomization its templates render for the options below,
// built with `kubectl kustomize`. Every object but the CRDs (checked by upstream-parity.test.ts) must be equal.
//
// The notification and image controllers' modules are not on the proxy mirror this project reaches, so their
// Deployments are checked by the unit tests only.

const run = promisify(execFile);
const FLUX = { module: 'github.com/fluxcd/flux2/v2', version: 'v2.9.5' };
const CONTROLLERS = [
  { name: 'source-controller', module: 'github.com/fluxcd/source-controller', version: 'v1.9.5' },
  { name: 'kustomize-controller', module: 'github.com/fluxcd/kustomize-controller', version: 'v1.9.5' },
  { name: 'helm-controller', module: 'github.com/fluxcd/helm-controller', version: 'v1.6.4' },
];
const NS = 'gitops';
const REGISTRY = 'registry.local:5000/fluxcd';
const DOMAIN = 'corp.example';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function moduleDir(module: string, version: string): Promise<string> {
  const { stdout } = await run('go', ['mod', 'download', '-json', `${module}@${version}`], {
    cwd: tmpdir(),
    env: { ...process.env, GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local', GOWORK: 'off' },
  });
  return (JSON.parse(stdout) as { Dir: string }).Dir;
}

/** A controller's base as flux2's manifests/bases has it, with the release's deployment from config/manager. */
async function base(root: string, flux: string, c: (typeof CONTROLLERS)[number]): Promise<void> {
  const dir = join(root, 'bases', c.name);
  await cp(join(await moduleDir(c.module, c.version), 'config', 'manager'), join(dir, 'manager'), { recursive: true });
  for (const f of ['account.yaml', 'labels.yaml', 'patch.yaml'])
    await cp(join(flux, 'manifests', 'bases', c.name, f), join(dir, f));
  await writeFile(
    join(dir, 'kustomization.yaml'),
    [
      'apiVersion: kustomize.config.k8s.io/v1beta1',
      'kind: Kustomization',
      'resources: [manager, account.yaml]',
      'transformers: [labels.yaml]',
      'patches:',
      `- target: {group: apps, version: v1, kind: Deployment, name: ${c.name}}`,
      '  path: patch.yaml',
      '',
    ].join('\n'),
  );
}

const build = async (dir: string): Promise<string> =>
  (await run('kubectl', ['kustomize', dir], { maxBuffer: 64 << 20 })).stdout;

/** pkg/manifestgen/install's templates rendered for: these components, NS, REGISTRY, DOMAIN, a pull secret, a toleration. */
function topKustomization(): string {
  const patch = (name: string, ops: [number, string][]): string[] => [
    `- target: {group: apps, version: v1, kind: Deployment, name: ${name}}`,
    '  patch: |-',
    ...ops.flatMap(([i, v]) => [
      '    - op: replace',
      `      path: /spec/template/spec/containers/0/args/${i}`,
      `      value: ${v}`,
    ]),
  ];
  // No notification-controller: flux leaves the events address empty.
  const common: [number, string][] = [
    [0, '--events-addr='],
    [1, '--watch-all-namespaces=true'],
    [2, '--log-level=info'],
  ];
  return [
    'apiVersion: kustomize.config.k8s.io/v1beta1',
    'kind: Kustomization',
    `namespace: ${NS}`,
    'transformers: [labels.yaml]',
    'resources: [namespace.yaml, policies.yaml, roles, source-controller.yaml, kustomize-controller.yaml, helm-controller.yaml]',
    'patches:',
    '- path: node-selector.yaml',
    '  target: {kind: Deployment}',
    ...patch('source-controller', [
      ...common,
      [6, `--storage-adv-addr=source-controller.$(RUNTIME_NAMESPACE).svc.${DOMAIN}.`],
    ]),
    ...patch('kustomize-controller', common),
    ...patch('helm-controller', common),
    'images:',
    ...CONTROLLERS.map((c) => `- {name: fluxcd/${c.name}, newName: ${REGISTRY}/${c.name}}`),
    '',
  ].join('\n');
}

async function fluxInstall(): Promise<KubeObject[]> {
  const root = await mkdtemp(join(tmpdir(), 'fluxdeck-components-parity-'));
  dirs.push(root);
  const flux = await moduleDir(FLUX.module, FLUX.version);
  for (const c of CONTROLLERS) await base(root, flux, c);
  await cp(join(flux, 'manifests', 'rbac'), join(root, 'rbac'), { recursive: true });
  await cp(join(flux, 'manifests', 'policies'), join(root, 'policies'), { recursive: true });
  // What the release's manifests.tar.gz holds: one built file per component, rbac.yaml and policies.yaml.
  const top = join(root, 'top');
  await mkdir(join(top, 'roles'), { recursive: true });
  for (const c of CONTROLLERS) await writeFile(join(top, `${c.name}.yaml`), await build(join(root, 'bases', c.name)));
  await writeFile(join(top, 'policies.yaml'), await build(join(root, 'policies')));
  // flux's workaround: the ServiceAccounts' namespace in the bindings, replaced as bytes.
  await writeFile(join(top, 'roles', 'rbac.yaml'), (await build(join(root, 'rbac'))).replaceAll('flux-system', NS));
  await writeFile(
    join(top, 'roles', 'kustomization.yaml'),
    `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: ${NS}\nresources: [rbac.yaml]\nnameSuffix: -${NS}\n`,
  );
  await writeFile(
    join(top, 'namespace.yaml'),
    `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${NS}\n  labels:\n    pod-security.kubernetes.io/warn: restricted\n    pod-security.kubernetes.io/warn-version: latest\n`,
  );
  await writeFile(
    join(top, 'labels.yaml'),
    [
      'apiVersion: builtin',
      'kind: LabelTransformer',
      'metadata: {name: labels}',
      'labels:',
      `  app.kubernetes.io/instance: ${NS}`,
      `  app.kubernetes.io/version: "${FLUX.version}"`,
      '  app.kubernetes.io/part-of: flux',
      'fieldSpecs:',
      '- {path: metadata/labels, create: true}',
      '- {kind: Deployment, path: spec/template/metadata/labels, create: true}',
      '',
    ].join('\n'),
  );
  await writeFile(
    join(top, 'node-selector.yaml'),
    [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata: {name: all}',
      'spec:',
      '  template:',
      '    spec:',
      '      nodeSelector: {kubernetes.io/os: linux}',
      '      imagePullSecrets: [{name: regcred}]',
      '      tolerations: [{key: "infra", operator: "Exists"}]',
      '',
    ].join('\n'),
  );
  await writeFile(join(top, 'kustomization.yaml'), topKustomization());
  return parseAllDocuments(await build(top)).map((d) => d.toJS() as KubeObject);
}

const key = (o: KubeObject): string => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;

describe('gotk-components parity with flux install --export (Flux v2.9.5)', () => {
  it('generates the same objects, in the same order, for the same options', async () => {
    const theirs = await fluxInstall();
    const o = componentsOptions({
      components: CONTROLLERS.map((c) => c.name),
      namespace: NS,
      registry: REGISTRY,
      clusterDomain: DOMAIN,
      imagePullSecret: 'regcred',
      tolerationKeys: 'infra',
    });
    const ours = generateComponents(o, []);
    expect(ours.map(key)).toEqual(theirs.map(key));
    // The same content; JSON drops key order, which YAML does not give meaning to.
    const norm = (x: KubeObject): unknown => JSON.parse(JSON.stringify(x));
    for (const obj of theirs) {
      const mine = ours.find((x) => key(x) === key(obj));
      expect(mine && norm(mine), key(obj)).toEqual(norm(obj));
    }
  });
});
