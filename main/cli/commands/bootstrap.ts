import { readFile } from 'node:fs/promises';

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
  summary: 'Put a cluster under GitOps from a Git repository (desktop-reconciled): write flux-system, push, apply',
  usage:
    'fluxdeck bootstrap git --url URL [--branch main] --path clusters/NAME [--username U --password P | --private-key-file F [--password P] [--ssh-key-algorithm ecdsa|ed25519|rsa] [--ssh-ecdsa-curve p256|p384|p521] [--ssh-rsa-bits 2048] [--silent]] [--interval 1m0s] [--namespace flux-system] [--data-dir D] [--identity I] [--kubeconfig F] [--context C] [--timeout 5m]',
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
          openWorkspace: (spec, auth) => engine.workspaces.open(spec, auth ? { auth } : {}),
          client: cluster,
          reconcile: () => engine.connect(cluster.context).then(() => undefined),
        },
        plan,
        { onStep: printStep(io), timeoutMs: flags.timeoutMs },
      );
      return 0;
    } catch (err) {
      if (err instanceof UsageError) throw err;
      io.err(`✗ ${errorMessage(err)}\n`);
      return 1;
    } finally {
      client?.close();
      await fluxdeck?.stop();
    }
  },
};
