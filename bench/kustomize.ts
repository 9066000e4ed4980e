// `npm run bench -- kustomize`: generates an overlay stack of about 2,000 objects (a base of apps, three overlays
// with patches, generators and components) in a temp dir, checks that our output equals kubectl's byte for byte,
// then times our build in-process and through the CLI against `kubectl kustomize`.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { build, openDirectory, toYamlStream } from '../main/kustomize/index.ts';
import { benchLine, median, timeRuns } from './report.ts';

const APPS = 250; // 250 apps x 8 objects = 2,000 objects (plus generated ones)
// kubectl needs over a minute for this stack on two cores, so it runs once (that run also checks the output).
const RUNS = 3;

function write(root: string, path: string, text: string): void {
  const p = join(root, path);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, text);
}

function app(i: number): string {
  const n = `app${i}`;
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${n}
  labels: {app: ${n}}
spec:
  replicas: 1
  selector: {matchLabels: {app: ${n}}}
  template:
    metadata: {labels: {app: ${n}}}
    spec:
      serviceAccountName: ${n}
      containers:
      - name: main
        image: registry.example.com/${n}:1.0.${i}
        ports: [{containerPort: 8080, name: http}]
        envFrom: [{configMapRef: {name: ${n}-config}}]
        env:
        - {name: INDEX, value: "${i}"}
        - name: PASSWORD
          valueFrom: {secretKeyRef: {name: ${n}-secret, key: password}}
        volumeMounts: [{name: data, mountPath: /data}]
      volumes:
      - {name: data, persistentVolumeClaim: {claimName: ${n}-data}}
---
apiVersion: v1
kind: Service
metadata: {name: ${n}}
spec:
  selector: {app: ${n}}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: ${n}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: ${n}-config}
data: {LOG_LEVEL: info, INDEX: "${i}", DESCRIPTION: "application number ${i} of the benchmark stack, with a long enough text to fold"}
---
apiVersion: v1
kind: Secret
metadata: {name: ${n}-secret}
stringData: {password: "pw-${i}"}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: ${n}-data}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: ${n}}
rules: [{apiGroups: [""], resources: [configmaps], resourceNames: [${n}-config], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ${n}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: ${n}}
subjects: [{kind: ServiceAccount, name: ${n}}]
`;
}

function generate(root: string): void {
  const files: string[] = [];
  for (let g = 0; g < 10; g++) {
    const chunk = Array.from({ length: APPS / 10 }, (_, k) => app(g * (APPS / 10) + k)).join('---\n');
    write(root, `base/apps-${g}.yaml`, chunk);
    files.push(`apps-${g}.yaml`);
  }
  write(root, 'base/kustomization.yaml', `resources:\n${files.map((f) => `- ${f}`).join('\n')}\n`);
  write(
    root,
    'components/monitoring/kustomization.yaml',
    `apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
commonAnnotations:
  prometheus.io/scrape: "true"
patches:
- target: {kind: Deployment}
  patch: |-
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: any}
    spec:
      template:
        spec:
          containers:
          - name: main
            ports: [{containerPort: 9090, name: metrics}]
`,
  );
  for (const [env, parent, replicas] of [
    ['dev', '../base', 1],
    ['staging', '../dev', 2],
    ['production', '../staging', 3],
  ] as const) {
    write(
      root,
      `${env}/kustomization.yaml`,
      `resources:
- ${parent}
namespace: shop-${env}
namePrefix: ${env.slice(0, 3)}-
labels:
- pairs: {env: ${env}}
  includeSelectors: true
components:
- ../components/monitoring
configMapGenerator:
- name: ${env}-settings
  literals: [ENV=${env}, REPLICAS=${replicas}]
  envs: [settings.env]
secretGenerator:
- name: ${env}-tls
  files: [tls.crt]
patches:
- target: {kind: Deployment, labelSelector: "app in (app1,app2,app3)"}
  patch: |-
    - op: replace
      path: /spec/replicas
      value: ${replicas}
- path: resources.yaml
  target: {kind: Deployment}
images:
- name: registry.example.com/app1
  newTag: ${env}
`,
    );
    write(root, `${env}/settings.env`, `FEATURE_A=on\nREGION=eu-${replicas}\n`);
    write(root, `${env}/tls.crt`, `-----BEGIN CERTIFICATE-----\n${'A'.repeat(300)}\n-----END CERTIFICATE-----\n`);
    write(
      root,
      `${env}/resources.yaml`,
      `apiVersion: apps/v1
kind: Deployment
metadata: {name: any}
spec:
  template:
    spec:
      containers:
      - name: main
        resources: {requests: {cpu: ${replicas}00m, memory: ${replicas}28Mi}}
`,
    );
  }
}

const root = mkdtempSync(join(tmpdir(), 'fluxdeck-bench-kustomize-'));
try {
  generate(root);
  const target = join(root, 'production');
  const { fs, path } = openDirectory(target, root, 'disk');
  const ours = (): string => toYamlStream(build(fs, path).objects);
  const cli = join(import.meta.dirname, '..', 'bin', 'fluxdeck.mjs');
  const t0 = performance.now();
  const reference = execFileSync('kubectl', ['kustomize', target], { maxBuffer: 256 * 1024 * 1024 }).toString();
  const kubectl = performance.now() - t0;
  const mine = ours();
  const objects = mine.split('\n---\n').length;
  console.log(
    `stack: ${objects} objects, ${(mine.length / 1e6).toFixed(1)} MB of YAML, identical to kubectl: ${mine === reference}`,
  );
  if (mine !== reference) {
    writeFileSync(join(tmpdir(), 'bench-kustomize-ours.yaml'), mine);
    writeFileSync(join(tmpdir(), 'bench-kustomize-kubectl.yaml'), reference);
    process.exitCode = 1;
  }

  const inProcess = median(await timeRuns(RUNS, () => Promise.resolve(ours())));
  const runCli = (): Promise<void> => {
    const r = spawnSync(process.execPath, [cli, 'kustomize', 'build', target], { maxBuffer: 256 * 1024 * 1024 });
    if (r.status !== 0) throw new Error(`fluxdeck kustomize build failed: ${r.stderr.toString()}`);
    return Promise.resolve();
  };
  const viaCli = median(await timeRuns(RUNS, runCli));
  console.log(`in-process build: ${inProcess.toFixed(0)} ms (ratio to kubectl ${(inProcess / kubectl).toFixed(2)})`);
  console.log(
    `CLI build (node bin/fluxdeck.mjs): ${viaCli.toFixed(0)} ms (ratio to kubectl ${(viaCli / kubectl).toFixed(2)})`,
  );
  console.log(`kubectl kustomize: ${kubectl.toFixed(0)} ms`);
  console.log(
    benchLine(
      'kustomize',
      `build of a ${objects}-object overlay stack (ours: median of ${RUNS} in-process; kubectl: one run)`,
      { value: inProcess, unit: 'ms' },
      { name: 'kubectl kustomize', value: kubectl, unit: 'ms' },
    ),
  );
} finally {
  rmSync(root, { recursive: true, force: true });
}
