import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import type { ClusterClient } from '../kube/cluster-client.ts';
import type { SshAuth } from '../sources/git/git-auth.ts';
import { type GitUrl, parseGitUrl } from '../sources/git/git-url.ts';
import {
  ECDSA_CURVES,
  type EcdsaCurve,
  fingerprint,
  generateSshKeyPair,
  keyTypeLabel,
  type KnownHost,
  knownHostsName,
  namesHost,
  parseKnownHosts,
  SSH_KEY_ALGORITHMS,
  type SshKeyAlgorithm,
} from '../sources/git/ssh-keys.ts';
import { runGitOverSsh, scanHostKeys, sshPublicKeyOf, sshRemote } from '../sources/git/ssh-transport.ts';
import { errorMessage } from '../util/errors.ts';
import type { KubeObject } from '../util/kube-object.ts';
import { BootstrapFailed, BootstrapInputError } from './bootstrap-errors.ts';

/**
 * The SSH half of bootstrap, as `flux bootstrap git` does it with an ssh:// URL, with two deliberate differences:
 *
 * - The push uses the user's key (`--private-key-file`), and the in-cluster source gets its own **deploy key**
 *   (generated, or the one already in the Secret: never rotated by surprise). Flux stores the user's key in the Secret
 *   when `--private-key-file` is given; a personal key in a cluster Secret would give the cluster all of its owner's
 *   access, so it is never stored here.
 * - Instead of a yes/no prompt (Flux, unless `--silent`), bootstrap prints the public key and waits until the server
 *   accepts it (`git ls-remote` with the deploy key), so the sync objects are applied only when their source can fetch:
 *   on the desktop it is Fluxdeck's own GitRepository that fetches with the Secret's key.
 *
 * Host keys: read from the server (`ssh-keyscan`), their fingerprints shown; when the Secret already has `known_hosts`
 * the scanned key must be in it, and when the user's ~/.ssh/known_hosts names the host it must agree (Flux's push
 * checks that file too); otherwise nothing is written and the user is told how to accept a changed key. With neither,
 * the key is trusted on first use. The user's ssh-agent and ~/.ssh/config are not used (see ssh-transport.ts).
 */

/** The user's side of an SSH bootstrap. */
export interface SshPlan {
  /** The user's private key for the clone and push (PEM or OpenSSH text); never printed, logged or stored. */
  privateKey: string;
  /** Its passphrase (`--password`), if it is encrypted. */
  passphrase?: string;
  /** The deploy key to generate when the Secret has none. */
  keyAlgorithm: SshKeyAlgorithm;
  ecdsaCurve: EcdsaCurve;
  rsaBits: number;
  /** Do not wait for the server to accept the deploy key (Flux's `--silent`: "assumes the deploy key is already setup"). */
  silent: boolean;
}

export interface SshPlanInput {
  privateKey?: string;
  password?: string;
  username?: string;
  keyAlgorithm?: string;
  ecdsaCurve?: string;
  rsaBits?: number;
  silent?: boolean;
}

/** Checks the SSH inputs of a plan whose URL is ssh:// (pure). */
export function sshPlanFrom(input: SshPlanInput): SshPlan {
  if (input.privateKey === undefined)
    throw new BootstrapInputError(
      'an ssh:// URL needs the private key that may push to the repository (--private-key-file); ssh-agent and ~/.ssh are not used',
    );
  if (input.username !== undefined)
    throw new BootstrapInputError('over SSH the user goes in the URL (ssh://user@host/org/repo.git), not --username');
  const keyAlgorithm = (input.keyAlgorithm ?? 'ecdsa') as SshKeyAlgorithm;
  if (!SSH_KEY_ALGORITHMS.includes(keyAlgorithm))
    throw new BootstrapInputError(
      `SSH key algorithm '${input.keyAlgorithm ?? ''}' is not supported: use ${SSH_KEY_ALGORITHMS.join(', ')}`,
    );
  const ecdsaCurve = (input.ecdsaCurve ?? 'p384') as EcdsaCurve;
  if (!ECDSA_CURVES.includes(ecdsaCurve))
    throw new BootstrapInputError(
      `ECDSA curve '${input.ecdsaCurve ?? ''}' is not supported: use ${ECDSA_CURVES.join(', ')}`,
    );
  const rsaBits = input.rsaBits ?? 2048;
  if (!Number.isInteger(rsaBits) || rsaBits < 2048 || rsaBits > 8192)
    throw new BootstrapInputError(`RSA key size ${rsaBits} is not supported: use 2048 to 8192 bits`);
  return {
    privateKey: input.privateKey,
    ...(input.password ? { passphrase: input.password } : {}),
    keyAlgorithm,
    ecdsaCurve,
    rsaBits,
    silent: input.silent ?? false,
  };
}

/** `SHA256:…` with the algorithm, as a user compares it with the server's (`ssh-keygen -lf`). */
const describeKey = (k: { type: string; key: string }): string => `${keyTypeLabel(k.type)} ${fingerprint(k.key)}`;

export interface HostTrust {
  /** `known`: in the Secret's known_hosts; `user-known`: in the user's ~/.ssh/known_hosts; `new`: trusted on first use. */
  status: 'known' | 'user-known' | 'new';
  /** What the push checks against and the Secret stores. */
  knownHosts: string;
  /** The scanned keys that count. */
  keys: KnownHost[];
}

/**
 * Decides which `known_hosts` the push and the Secret use (pure). With `known_hosts` stored in the Secret: the stored
 * text, provided one of the scanned keys is in it for this host. Otherwise, when the user's own known_hosts (what
 * `ssh` on this machine checks) names the host: the scanned keys it confirms. Otherwise the scanned keys, trusted on
 * first use (their fingerprints are shown). A scanned key that contradicts the Secret or the user's known_hosts
 * throws before anything is written: a changed key is never accepted silently.
 */
export function trustHostKeys(
  known: { stored?: string | undefined; user?: string | undefined; scanned: string },
  url: Pick<GitUrl, 'host' | 'port'>,
  secret: string,
): HostTrust {
  const name = knownHostsName(url.host, url.port);
  const found = parseKnownHosts(known.scanned);
  const matching = (text: string | undefined): { forHost: KnownHost[]; match: KnownHost[] } => {
    const forHost = parseKnownHosts(text ?? '').filter((e) => namesHost(e, name));
    return { forHost, match: found.filter((f) => forHost.some((p) => p.type === f.type && p.key === f.key)) };
  };
  const presents = `the server presents ${found.map(describeKey).join(', ')}`;
  if (parseKnownHosts(known.stored ?? '').length > 0) {
    const { forHost, match } = matching(known.stored);
    if (match.length > 0) return { status: 'known', knownHosts: known.stored ?? '', keys: match };
    const trusted = forHost.length > 0 ? forHost.map(describeKey).join(', ') : `no key for ${name}`;
    const [ns = '', secretName = ''] = secret.split('/');
    throw new BootstrapFailed(
      `the SSH host key of ${name} is not the one in known_hosts of Secret ${secret}: ${presents}, the Secret trusts ${trusted}. ` +
        `If the server's key was changed on purpose, check the new fingerprint with its administrator, remove known_hosts from the Secret ` +
        `(kubectl -n ${ns} patch secret ${secretName} --type=json -p '[{"op":"remove","path":"/data/known_hosts"}]') and run bootstrap again; nothing was written`,
    );
  }
  const user = matching(known.user);
  if (user.match.length > 0) {
    const knownHosts = user.match.map((k) => `${k.hosts} ${k.type} ${k.key}\n`).join('');
    return { status: 'user-known', knownHosts, keys: user.match };
  }
  if (user.forHost.length > 0)
    throw new BootstrapFailed(
      `the SSH host key of ${name} is not the one in your ~/.ssh/known_hosts: ${presents}, your known_hosts has ${user.forHost.map(describeKey).join(', ')}. ` +
        `If the server's key was changed on purpose, check the new fingerprint with its administrator, run 'ssh-keygen -R ${name}' and run bootstrap again; nothing was written`,
    );
  return { status: 'new', knownHosts: known.scanned, keys: found };
}

/** What an SSH bootstrap found before cloning: the auth for the push, and the Secret's keys to keep. */
export interface SshSession {
  url: GitUrl;
  knownHosts: string;
  pushAuth: SshAuth;
  /** The public key of the user's key, to name it in errors. */
  userKey: string;
  /** The deploy key already in the Secret (identity, identity.pub, optional password), if there is one. */
  existing?: Record<string, string>;
}

type SecretObject = KubeObject & { data?: Record<string, string> };

const decode = (data: Record<string, string> | undefined, key: string): string | undefined =>
  data?.[key] === undefined ? undefined : Buffer.from(data[key] ?? '', 'base64').toString('utf8');

/** Checks the user's key, reads the Secret and the server's host key, and decides the trust; writes nothing. */
export async function prepareSsh(
  client: ClusterClient,
  plan: { url: string; namespace: string; ssh: SshPlan },
  onStep: (message: string) => void,
): Promise<SshSession> {
  const url = parseGitUrl(plan.url);
  const userKey = await sshPublicKeyOf(plan.ssh.privateKey, plan.ssh.passphrase).catch((err: unknown) => {
    throw new BootstrapFailed(`the SSH private key given for the push: ${errorMessage(err)}`, { cause: err });
  });
  const secretName = `${plan.namespace}/flux-system`;
  const secret = await client.tryGet<SecretObject>({
    apiVersion: 'v1',
    kind: 'Secret',
    namespace: plan.namespace,
    name: 'flux-system',
  });
  const scanned = await scanHostKeys(url.host, url.port).catch((err: unknown) => {
    throw new BootstrapFailed(`cannot read the SSH host key of ${url.display}: ${errorMessage(err)}`, { cause: err });
  });
  // The user's own known_hosts, as `ssh` on this machine reads it: a key it knows confirms the scan.
  const user = await readFile(join(homedir(), '.ssh', 'known_hosts'), 'utf8').catch(() => undefined);
  const trust = trustHostKeys({ stored: decode(secret?.data, 'known_hosts'), user, scanned }, url, secretName);
  const keys = trust.keys.map(describeKey).join(', ');
  const where = `host key of ${url.host}:${url.port}`;
  onStep(
    trust.status === 'known'
      ? `${where} (${keys}) matches known_hosts in Secret ${secretName}`
      : trust.status === 'user-known'
        ? `${where} (${keys}) matches your ~/.ssh/known_hosts; stored in Secret ${secretName}`
        : `${where} is ${keys}: trusted on first use and stored in Secret ${secretName}; compare it with the fingerprint your Git server publishes`,
  );
  const identity = decode(secret?.data, 'identity');
  let existing: Record<string, string> | undefined;
  if (identity) {
    const password = decode(secret?.data, 'password');
    const pub =
      decode(secret?.data, 'identity.pub') ??
      (await sshPublicKeyOf(identity, password).catch((err: unknown) => {
        throw new BootstrapFailed(`the deploy key in Secret ${secretName} cannot be used: ${errorMessage(err)}`, {
          cause: err,
        });
      }));
    existing = { identity, 'identity.pub': pub, ...(password ? { password } : {}) };
  }
  const pushAuth: SshAuth = {
    kind: 'ssh',
    identity: plan.ssh.privateKey,
    knownHosts: trust.knownHosts,
    ...(plan.ssh.passphrase ? { passphrase: plan.ssh.passphrase } : {}),
  };
  return { url, knownHosts: trust.knownHosts, pushAuth, userKey, ...(existing ? { existing } : {}) };
}

/** The message for a clone the server refused with the user's key: which key, and what to do. */
export function userKeyRefused(session: SshSession, err: unknown): string {
  const [type = '', key = ''] = session.userKey.trim().split(' ');
  return `the server refused the SSH private key given for the push (${describeKey({ type, key })}): ${errorMessage(err)}`;
}

/** The Secret's data: the deploy key (kept, or generated now) and known_hosts. */
export function deployKeyData(
  session: SshSession,
  ssh: SshPlan,
): { data: Record<string, string>; generated: boolean; publicKey: string } {
  if (session.existing) {
    const data = { ...session.existing, known_hosts: session.knownHosts };
    return { data, generated: false, publicKey: session.existing['identity.pub'] ?? '' };
  }
  const pair = generateSshKeyPair({
    algorithm: ssh.keyAlgorithm,
    curve: ssh.ecdsaCurve,
    rsaBits: ssh.rsaBits,
  });
  const data = { identity: pair.privateKey, 'identity.pub': pair.publicKey, known_hosts: session.knownHosts };
  return { data, generated: true, publicKey: pair.publicKey };
}

/** One progress line; `deployKey` carries the public key to show with a copy button. */
export interface DeployKeyStep {
  state: 'running' | 'done' | 'waiting';
  message: string;
  deployKey?: string;
}

/**
 * Prints the deploy key and waits until the server lets it read the repository (every 2 s, until `timeoutMs`).
 * A host key failure stops at once (the scan just said otherwise: something is wrong); refusals are what waiting is
 * for. With `silent` the check is skipped, as `flux bootstrap --silent` skips its prompt.
 */
export async function awaitDeployKey(
  session: SshSession,
  deploy: { data: Record<string, string>; generated: boolean; publicKey: string },
  plan: { namespace: string; branch: string; ssh: SshPlan },
  o: { onStep(step: DeployKeyStep): void; timeoutMs: number; signal?: AbortSignal },
): Promise<void> {
  const [type = '', key = ''] = deploy.publicKey.trim().split(' ');
  const secretName = `${plan.namespace}/flux-system`;
  o.onStep({
    state: 'done',
    message: `${deploy.generated ? 'generated a deploy key' : 'keeping the deploy key'} in Secret ${secretName} (${describeKey({ type, key })}); public key: ${deploy.publicKey.trim()}`,
    deployKey: deploy.publicKey.trim(),
  });
  if (plan.ssh.silent) {
    o.onStep({ state: 'done', message: 'not checking that the server accepts the deploy key (--silent)' });
    return;
  }
  const auth: SshAuth = {
    kind: 'ssh',
    identity: deploy.data.identity ?? '',
    knownHosts: session.knownHosts,
    ...(deploy.data.password ? { passphrase: deploy.data.password } : {}),
  };
  const remote = sshRemote(session.url);
  const deadline = Date.now() + o.timeoutMs;
  let told = false;
  for (;;) {
    const signal = o.signal ? AbortSignal.any([o.signal, AbortSignal.timeout(60_000)]) : AbortSignal.timeout(60_000);
    try {
      await runGitOverSsh(auth, ['ls-remote', remote, `refs/heads/${plan.branch}`], { signal });
      o.onStep({ state: 'done', message: `${session.url.host} accepts the deploy key` });
      return;
    } catch (err) {
      const stderr = (err as { stderr?: string }).stderr ?? '';
      if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/i.test(stderr))
        throw new BootstrapFailed(`the host key of ${session.url.host} changed while bootstrapping: ${stderr.trim()}`);
      if (!told)
        o.onStep({
          state: 'waiting',
          message: `add the public key above to ${session.url.display} as a deploy key (read access is enough); waiting until the server accepts it`,
        });
      told = true;
      if (Date.now() > deadline)
        throw new BootstrapFailed(
          `the server did not accept the deploy key within ${Math.round(o.timeoutMs / 1000)}s: add the public key to the repository as a deploy key and run bootstrap again (the key is kept in Secret ${secretName})`,
          { cause: err },
        );
    }
    await sleep(2000, undefined, o.signal ? { signal: o.signal } : {});
  }
}
