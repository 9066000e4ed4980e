import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { AuthHealthRegistry } from '../../../main/kube/auth-health.ts';
import { createAuthenticator } from '../../../main/kube/authenticator.ts';
import { ExecCredentialProvider } from '../../../main/kube/exec-credential.ts';
import { errorFromNetwork, errorFromResponse, KubeError } from '../../../main/kube/kube-error.ts';
import type { ExecConfig, KubeCluster } from '../../../main/kube/kubeconfig.ts';
import { findExecutable, mergePathLists, pathFromEnvDump } from '../../../main/kube/login-shell-path.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-auth-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const cluster: KubeCluster = {
  name: 'c',
  server: 'https://example:6443',
  insecureSkipTlsVerify: false,
  disableCompression: false,
  extensions: { 'client.authentication.k8s.io/exec': { audience: 'x' } },
  certificateAuthorityData: 'Q0E=',
};

/** Writes a plugin script that logs each run and prints `output`. */
async function plugin(output: string, exitCode = 0): Promise<ExecConfig> {
  const file = join(dir, 'plugin');
  await writeFile(
    file,
    `#!/bin/sh\necho "$KUBERNETES_EXEC_INFO" >> "${join(dir, 'runs')}"\necho 'oops: expired session' >&2\nprintf '%s' '${output}'\nexit ${exitCode}\n`,
  );
  await chmod(file, 0o755);
  return { apiVersion: 'client.authentication.k8s.io/v1', command: file, args: [], env: [], provideClusterInfo: true };
}

/** Whether a process runs (a zombie waiting for a reaper, as in containers without an init, does not). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

const runs = async (): Promise<string[]> => (await readFile(join(dir, 'runs'), 'utf8')).trim().split('\n');
const credential = (status: object): string =>
  JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status });

describe('exec credential plugins', () => {
  it('caches a credential until shortly before it expires, and shares one run between concurrent callers', async () => {
    let now = Date.parse('2030-01-01T00:00:00Z');
    const provider = new ExecCredentialProvider({ searchPath: () => Promise.resolve(''), now: () => now });
    const exec = await plugin(credential({ token: 't1', expirationTimestamp: '2030-01-01T00:10:00Z' }));
    const [a, b] = await Promise.all([provider.get('u', exec, cluster), provider.get('u', exec, cluster)]);
    expect(a.token).toBe('t1');
    expect(b.token).toBe('t1');
    now += 5 * 60_000;
    await provider.get('u', exec, cluster);
    expect(await runs()).toHaveLength(1);
    now += 4 * 60_000 + 45_000; // within the refresh margin before expiry
    await provider.get('u', exec, cluster);
    expect(await runs()).toHaveLength(2);
    // Cluster info is passed when the kubeconfig asks for it.
    const info = JSON.parse((await runs())[0]!) as {
      spec: { interactive: boolean; cluster: { server: string; config: unknown } };
    };
    expect(info.spec).toMatchObject({
      interactive: false,
      cluster: { server: cluster.server, config: { audience: 'x' } },
    });
    provider.invalidate('u', exec, cluster);
    await provider.get('u', exec, cluster);
    expect(await runs()).toHaveLength(3);
  });

  it('explains a failing plugin with its stderr, a wrong apiVersion, and a plugin missing from PATH', async () => {
    const provider = new ExecCredentialProvider({ searchPath: () => Promise.resolve(dir) });
    const failing = await plugin('', 2);
    await expect(provider.get('u', failing, cluster)).rejects.toThrow(/failed \(exit 2\): oops: expired session/);
    const wrong = await plugin(
      JSON.stringify({
        apiVersion: 'client.authentication.k8s.io/v1beta1',
        kind: 'ExecCredential',
        status: { token: 'x' },
      }),
    );
    await expect(provider.get('u2', wrong, cluster)).rejects.toThrow(
      /expected ExecCredential client.authentication.k8s.io\/v1/,
    );
    const missing: ExecConfig = { ...failing, command: 'gke-gcloud-auth-plugin', installHint: undefined };
    const err = (await provider.get('u3', missing, cluster).catch((e: unknown) => e)) as KubeError;
    expect(err.reason).toBe('AuthFailed');
    expect(err.message).toBe('exec plugin `gke-gcloud-auth-plugin` not found on PATH');
    expect(err.hint).toMatch(/install `gke-gcloud-auth-plugin`/);
  });

  it.skipIf(process.platform !== 'linux')(
    'kills a plugin that hangs, with the children it forked, and says it timed out',
    async () => {
      const file = join(dir, 'hang');
      const pidFile = join(dir, 'grandchild.pid');
      // A plugin that forks a sleeper (as a login helper would) and then waits forever itself.
      await writeFile(file, `#!/bin/sh\n/bin/sleep 300 &\necho $! > "${pidFile}"\n/bin/sleep 300\n`);
      await chmod(file, 0o755);
      const provider = new ExecCredentialProvider({ searchPath: () => Promise.resolve(dir), timeoutMs: 1500 });
      const hang: ExecConfig = { ...(await plugin('')), command: 'hang' };
      const started = Date.now();
      await expect(provider.get('hang', hang, cluster)).rejects.toThrow(/exec plugin `hang` timed out after 2 s/);
      expect(Date.now() - started).toBeLessThan(10_000);
      const grandchild = Number((await readFile(pidFile, 'utf8')).trim());
      await new Promise((r) => setTimeout(r, 300));
      expect(running(grandchild)).toBe(false);
    },
  );

  it("keeps only a short, scrubbed first line of a failing plugin's stderr", async () => {
    const file = join(dir, 'leaky');
    await writeFile(
      file,
      `#!/bin/sh\necho 'error: refresh failed for token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJtZSJ9.c2lnbmF0dXJlMTIz' >&2\necho 'debug: Authorization: Bearer abcdef123456789' >&2\nexit 1\n`,
    );
    await chmod(file, 0o755);
    const provider = new ExecCredentialProvider({ searchPath: () => Promise.resolve(dir) });
    const err = (await provider
      .get('leaky', { ...(await plugin('')), command: 'leaky' }, cluster)
      .catch((e: unknown) => e)) as KubeError;
    expect(err.message).toMatch(
      /^exec plugin `leaky` failed \(exit 1\): error: refresh failed for token \[redacted\]$/,
    );
    expect(err.message).not.toMatch(/eyJ|abcdef/);
  });

  it('finds plugins on the login shell PATH', async () => {
    const exec = await plugin('');
    expect(await findExecutable('plugin', mergePathLists('/nonexistent', dir))).toBe(exec.command);
    expect(await findExecutable('plugin', '/nonexistent')).toBeUndefined();
    const dump = `motd noise\n__FLUXDECK_ENV__\nHOME=/h\nPATH=/opt/homebrew/bin:/usr/bin\n__FLUXDECK_ENV__\nbye\n`;
    expect(pathFromEnvDump(dump)).toBe('/opt/homebrew/bin:/usr/bin');
    expect(mergePathLists('/usr/bin:/bin', '/opt/homebrew/bin:/usr/bin')).toBe('/usr/bin:/bin:/opt/homebrew/bin');
  });
});

describe('auth-providers', () => {
  const ctx = (authProvider: {
    name: string;
    config: Record<string, string>;
  }): Parameters<typeof createAuthenticator>[0] => ({
    name: 'ctx',
    namespace: 'default',
    cluster,
    user: { name: 'u', impersonateGroups: ['devs', 'ops'], impersonate: 'jane', authProvider },
  });

  it('sends a still-valid OIDC id-token and the gcp access-token through client-node, with impersonation headers', async () => {
    const b64url = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    const idToken = `${b64url({ alg: 'none' })}.${b64url({ exp: Math.floor(Date.now() / 1000) + 3600, sub: 'jane' })}.sig`;
    const exec = new ExecCredentialProvider();
    const oidc = await createAuthenticator(ctx({ name: 'oidc', config: { 'id-token': idToken, 'client-id': 'x' } }), {
      exec,
    }).credentials();
    expect(oidc.headers).toEqual({
      Authorization: `Bearer ${idToken}`,
      'Impersonate-User': 'jane',
      'Impersonate-Group': ['devs', 'ops'],
    });
    const expiry = new Date(Date.now() + 3_600_000).toISOString();
    const gcp = await createAuthenticator(ctx({ name: 'gcp', config: { 'access-token': 'ya29.token', expiry } }), {
      exec,
    }).credentials();
    expect(gcp.headers.Authorization).toBe('Bearer ya29.token');
    expect(gcp.tls.ca?.toString()).toBe('CA');
    expect(() => createAuthenticator(ctx({ name: 'oidc', config: {} }), { exec, untrusted: true })).toThrow(
      /uses an auth-provider, which is not allowed/,
    );
  });
});

describe('errors and auth health', () => {
  it('maps apiserver Status answers to reasons and keeps the apiserver message', () => {
    const status = (code: number, reason: string, message: string): string =>
      JSON.stringify({
        kind: 'Status',
        code,
        reason,
        message,
        details: { causes: [{ field: 'spec.x', message: 'bad' }] },
      });
    expect(errorFromResponse('get x', 404, status(404, 'NotFound', 'x not found')).reason).toBe('NotFound');
    expect(errorFromResponse('create x', 409, status(409, 'AlreadyExists', 'exists')).reason).toBe('AlreadyExists');
    const invalid = errorFromResponse('apply Deployment/a/b', 422, status(422, 'Invalid', 'Deployment "b" is invalid'));
    expect(invalid.message).toBe('apply Deployment/a/b: Deployment "b" is invalid');
    expect(invalid.causes).toEqual([{ field: 'spec.x', message: 'bad' }]);
    expect(errorFromResponse('watch', 410, status(410, 'Expired', 'too old')).reason).toBe('Gone');
    expect(errorFromResponse('get', 502, '<html>bad gateway</html>')).toMatchObject({
      reason: 'ServerError',
      message: 'get: <html>bad gateway</html>',
    });
    const tls = errorFromNetwork(
      'get',
      'https://k:6443',
      Object.assign(new Error('self-signed'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }),
    );
    expect(tls.hint).toMatch(/TLS verification of https:\/\/k:6443 failed/);
  });

  it('tracks state per context and notifies only on changes', () => {
    const health = new AuthHealthRegistry();
    const seen: string[] = [];
    health.onChange((h) => seen.push(`${h.context}:${h.state}`));
    health.recordSuccess('a', 'token');
    health.recordSuccess('a', 'token');
    expect(health.recordFailure('a', 'token', new KubeError('nope', { reason: 'NotFound' }))).toBe(false);
    expect(health.recordFailure('a', 'token', new KubeError('401', { reason: 'Unauthorized', hint: 'log in' }))).toBe(
      true,
    );
    // The same failure of a request sent beside it is not a change; another kind of failure is.
    health.recordFailure('a', 'token', new KubeError('401 again', { reason: 'Unauthorized', hint: 'log in' }));
    health.recordFailure('a', 'token', new KubeError('down', { reason: 'Unreachable', hint: 'start it' }));
    health.recordFailure('a', 'token', new KubeError('401', { reason: 'Unauthorized', hint: 'log in' }));
    health.recordSuccess('a', 'token');
    expect(seen).toEqual(['a:ok', 'a:failing', 'a:failing', 'a:failing', 'a:ok']);
    expect(health.get('a')?.lastError).toMatchObject({ message: '401', hint: 'log in' });
  });
});
