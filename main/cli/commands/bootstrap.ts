import { readFile } from 'node:fs/promises';

import type { ComponentsInput } from '../../controllers/crds/flux-components.ts';
import { createFluxdeck, type Fluxdeck } from '../../create-fluxdeck.ts';
import type { ClusterClient } from '../../kube/cluster-client.ts';
import { errorMessage } from '../../util/errors.ts';
import { createLogger } from '../../util/logger.ts';
import {
  BootstrapInputError,
  bootstrapPlan,
  type BootstrapStep,
  runBootstrap,
  type SshPlanInput,
} from '../../workbench/index.ts';
import { kubeconfigFlagPaths, openFromFlags, parseCommand } from '../cluster-flags.ts';
import { type CliIO, type Command, UsageError } from '../command.ts';

/** `fluxdeck bootstrap git`: the workbench's bootstrap (main/workbench/bootstrap.ts), each step printed. */

const GLYPH: Record<BootstrapStep['state'], string> = { running: '►', done: '✔', waiting: '◎' };

const printStep =
  (io: CliIO) =>
  (step: BootstrapStep): void =>
    io.out(`${GLYPH[step.state]} ${step.message}\n`);

/** The controllers' options of `flux bootstrap`, in-cluster mode only (flux-components.ts checks them). */
const COMPONENT_FLAGS = {
  version: { type: 'string' },
  components: { type: 'string' },
  'components-extra': { type: 'string' },
  registry: { type: 'string' },
  'image-pull-secret': { type: 'string' },
  'network-policy': { type: 'string' },
  'cluster-domain': { type: 'string' },
  'log-level': { type: 'string' },
  'toleration-keys': { type: 'string' },
} as const;

function componentFlags(values: Record<string, unknown>): ComponentsInput {
  const str = (k: keyof typeof COMPONENT_FLAGS): string | undefined =>
    typeof values[k] === 'string' ? values[k] : undefined;
  const policy = str('network-policy');
  if (policy !== undefined && policy !== 'true' && policy !== 'false')
    throw new UsageError(`--network-policy=${policy}: use --network-policy=true or --network-policy=false`);
  return {
    version: str('version'),
    components: str('components'),
    componentsExtra: str('components-extra'),
    registry: str('registry'),
    imagePullSecret: str('image-pull-secret'),
    networkPolicy: policy === undefined ? undefined : policy === 'true',
    clusterDomain: str('cluster-domain'),
    logLevel: str('log-level'),
    tolerationKeys: str('toleration-keys'),
  };
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** The SSH flags, as `flux bootstrap git` names them; the key file is read here, its text never printed. */
async function sshFlags(values: Record<string, unknown>): Promise<SshPlanInput> {
  const keyFile = str(values['private-key-file']);
  const privateKey = keyFile
    ? await readFile(keyFile, 'utf8').catch((err: unknown) => {
        throw new UsageError(`--private-key-file ${keyFile}: ${errorMessage(err)}`);
      })
    : undefined;
  const algorithm = str(values['ssh-key-algorithm']);
  const curve = str(values['ssh-ecdsa-curve']);
  const rsaBits = str(values['ssh-rsa-bits']);
  return {
    ...(privateKey !== undefined ? { privateKey } : {}),
    ...(algorithm ? { keyAlgorithm: algorithm } : {}),
    ...(curve ? { ecdsaCurve: curve } : {}),
    ...(rsaBits !== undefined ? { rsaBits: Number(rsaBits) } : {}),
    silent: values.silent === true,
  };
}

export const bootstrapCommand: Command = {
  name: 'bootstrap',
  summary:
    'Put a cluster under GitOps from a Git repository: write flux-system, push, apply; reconciled by Fluxdeck (desktop) or by Flux in the cluster (in-cluster)',
  usage:
    'fluxdeck bootstrap git --url URL [--branch main] --path clusters/NAME [--username U --password P | --private-key-file F [--password P] [--ssh-key-algorithm ecdsa|ed25519|rsa] [--ssh-ecdsa-curve p256|p384|p521] [--ssh-rsa-bits 2048] [--silent]] [--interval 1m0s] [--namespace flux-system] [--mode desktop|in-cluster] [--version v2.9.5] [--components source-controller,kustomize-controller,helm-controller,notification-controller] [--components-extra image-reflector-controller,image-automation-controller] [--registry ghcr.io/fluxcd] [--image-pull-secret NAME] [--network-policy=true|false] [--cluster-domain cluster.local] [--log-level info] [--toleration-keys K1,K2] [--data-dir D] [--identity I] [--kubeconfig F] [--context C] [--timeout 5m]',
  run: async (args, io) => {
    const [provider, ...rest] = args;
    if (provider !== 'git')
      throw new UsageError(`unknown bootstrap provider '${provider ?? ''}': use fluxdeck bootstrap git`);
    const { flags, values, positionals } = parseCommand(rest, {
      url: { type: 'string' },
      branch: { type: 'string' },
      path: { type: 'string' },
      username: { type: 'string', short: 'u' },
      password: { type: 'string', short: 'p' },
      interval: { type: 'string' },
      'private-key-file': { type: 'string' },
      'ssh-key-algorithm': { type: 'string' },
      'ssh-ecdsa-curve': { type: 'string' },
      'ssh-rsa-bits': { type: 'string' },
      silent: { type: 'boolean', short: 's' },
      'data-dir': { type: 'string' },
      identity: { type: 'string' },
      'lease-namespace': { type: 'string' },
      mode: { type: 'string' },
      ...COMPONENT_FLAGS,
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0] ?? ''}'`);
    const sshInput = await sshFlags(values);
    let plan: ReturnType<typeof bootstrapPlan>;
    try {
      plan = bootstrapPlan({
        url: str(values.url),
        branch: str(values.branch),
        path: str(values.path),
        namespace: flags.namespace,
        interval: str(values.interval),
        username: str(values.username),
        password: str(values.password) ?? process.env.GIT_PASSWORD,
        mode: str(values.mode),
        components: componentFlags(values),
        ...sshInput,
      });
    } catch (err) {
      if (err instanceof BootstrapInputError) throw new UsageError(err.message);
      throw err;
    }
    let fluxdeck: Fluxdeck | undefined;
    let client: ClusterClient | undefined;
    try {
      fluxdeck = await createFluxdeck({
        ...(flags.kubeconfig ? { kubeconfigPaths: kubeconfigFlagPaths(flags) } : {}),
        ...(typeof values['data-dir'] === 'string' ? { dataDir: values['data-dir'] } : {}),
        ...(typeof values.identity === 'string' ? { identity: values.identity } : {}),
        ...(typeof values['lease-namespace'] === 'string' ? { leaseNamespace: values['lease-namespace'] } : {}),
        watchKubeconfigs: false,
        logger: createLogger({ write: () => undefined }, 'error'),
      });
      client = await openFromFlags(flags);
      const engine = fluxdeck;
      const cluster = client;
      await runBootstrap(
        {
          openWorkspace: (spec, opts) => engine.workspaces.open(spec, opts),
          client: cluster,
          reconcile: () => engine.connect(cluster.context).then(() => undefined),
        },
        plan,
        // Ctrl-C aborts the step in flight too (a clone stalled on a slow server).
        { onStep: printStep(io), timeoutMs: flags.timeoutMs, signal: io.signal },
      );
      return 0;
    } catch (err) {
      if (err instanceof UsageError) throw err;
      if (io.signal.aborted) {
        io.err('✗ bootstrap cancelled: what was pushed or applied stays; run the same command again to finish it\n');
        return 130;
      }
      io.err(`✗ ${errorMessage(err)}\n`);
      return 1;
    } finally {
      client?.close();
      await fluxdeck?.stop();
    }
  },
};
