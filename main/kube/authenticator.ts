import { readFile } from 'node:fs/promises';
import type { RequestOptions } from 'node:https';

import type { KubeConfig } from '@kubernetes/client-node';

import type { ExecCredentialProvider } from './exec-credential.ts';
import { KubeError } from './kube-error.ts';
import { type AuthMethod, authMethodOf, type ResolvedContext } from './kubeconfig.ts';

/**
 * Turns a context's user into what goes on the wire: TLS material for the connection and headers for each request.
 * Files named in the kubeconfig (CA, client certificate, token file) are re-read at most once a minute, so rotated
 * credentials are picked up without restarting.
 */
export interface TlsMaterial {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  rejectUnauthorized: boolean;
  servername?: string;
}

export interface Credentials {
  tls: TlsMaterial;
  headers: Record<string, string | string[]>;
  /** Changes whenever the TLS material does, so the transport knows to open new connections. */
  tlsIdentity: string;
}

export interface Authenticator {
  readonly method: AuthMethod;
  credentials(): Promise<Credentials>;
  /** Drops cached credentials after a 401; true when asking again may give different ones (exec, auth-provider). */
  invalidate(): boolean;
}

export interface AuthenticatorOptions {
  exec: ExecCredentialProvider;
  /** Refuse exec plugins and local file references (for kubeconfigs read from Secrets, as Flux does by default). */
  untrusted?: boolean;
}

const FILE_TTL_MS = 60_000;
const CREDENTIALS_TTL_MS = 5_000;

class FileCache {
  readonly #entries = new Map<string, { at: number; data: Promise<Buffer> }>();
  read(path: string): Promise<Buffer> {
    const hit = this.#entries.get(path);
    if (hit && Date.now() - hit.at < FILE_TTL_MS) return hit.data;
    const data = readFile(path).catch((err: unknown) => {
      this.#entries.delete(path);
      throw new KubeError(`cannot read ${path} named in the kubeconfig`, {
        reason: 'AuthFailed',
        cause: err,
        hint: 'fix the path in the kubeconfig or restore the file',
      });
    });
    this.#entries.set(path, { at: Date.now(), data });
    return data;
  }
  clear(): void {
    this.#entries.clear();
  }
}

const b64 = (s: string): Buffer => Buffer.from(s, 'base64');

export function createAuthenticator(ctx: ResolvedContext, opts: AuthenticatorOptions): Authenticator {
  const { cluster, user } = ctx;
  const method = authMethodOf(user);
  const files = new FileCache();
  let authProviderConfig: KubeConfig | undefined;

  if (opts.untrusted) {
    const fileRef = cluster.certificateAuthority ?? user.clientCertificate ?? user.clientKey ?? user.tokenFile;
    if (user.exec || user.authProvider || fileRef !== undefined)
      throw new KubeError(
        `kubeconfig for context "${ctx.name}" uses ${user.exec ? 'an exec plugin' : user.authProvider ? 'an auth-provider' : `a local file (${fileRef ?? ''})`}, which is not allowed for kubeconfigs from Secrets`,
        { reason: 'AuthFailed', hint: 'embed the credentials (token, client-certificate-data) in the kubeconfig' },
      );
  }

  const baseTls = async (): Promise<TlsMaterial> => ({
    ca: cluster.certificateAuthorityData
      ? b64(cluster.certificateAuthorityData)
      : cluster.certificateAuthority
        ? await files.read(cluster.certificateAuthority)
        : undefined,
    cert: user.clientCertificateData
      ? b64(user.clientCertificateData)
      : user.clientCertificate
        ? await files.read(user.clientCertificate)
        : undefined,
    key: user.clientKeyData ? b64(user.clientKeyData) : user.clientKey ? await files.read(user.clientKey) : undefined,
    rejectUnauthorized: !cluster.insecureSkipTlsVerify,
    servername: cluster.tlsServerName,
  });

  const impersonation = (): Record<string, string | string[]> => {
    const h: Record<string, string | string[]> = {};
    if (user.impersonate) h['Impersonate-User'] = user.impersonate;
    if (user.impersonateUid) h['Impersonate-Uid'] = user.impersonateUid;
    // Node sends an array as repeated header lines, which is how the apiserver reads several groups.
    if (user.impersonateGroups.length) h['Impersonate-Group'] = user.impersonateGroups;
    return h;
  };

  const credentials = async (): Promise<Credentials> => {
    const tls = await baseTls();
    const headers = impersonation();
    if (user.token) headers.Authorization = `Bearer ${user.token}`;
    else if (user.tokenFile)
      headers.Authorization = `Bearer ${(await files.read(user.tokenFile)).toString('utf8').trim()}`;
    else if (user.username)
      headers.Authorization = `Basic ${Buffer.from(`${user.username}:${user.password ?? ''}`).toString('base64')}`;
    if (user.exec) {
      const status = await opts.exec.get(user.name, user.exec, cluster);
      if (status.token) headers.Authorization = `Bearer ${status.token}`;
      if (status.clientCertificateData && status.clientKeyData) {
        tls.cert = Buffer.from(status.clientCertificateData);
        tls.key = Buffer.from(status.clientKeyData);
      }
    } else if (user.authProvider) {
      headers.Authorization = await authProviderHeader();
    }
    return { tls, headers, tlsIdentity: fingerprint(tls) };
  };

  const authProviderHeader = async (): Promise<string> => {
    // client-node implements the legacy auth-providers (oidc with refresh, gcp, azure); we borrow just the header.
    // Its KubeConfig keeps refreshed tokens in memory, so it lives as long as this authenticator.
    if (!authProviderConfig) {
      // Loaded on first use: client-node takes ~0.65 s to import (thousands of generated model modules), a third of
      // `fluxdeck serve`'s cold start (bench serve), and only legacy auth-provider users need it.
      const { KubeConfig } = await import('@kubernetes/client-node');
      authProviderConfig = new KubeConfig();
      authProviderConfig.loadFromOptions({
        clusters: [{ name: cluster.name, server: cluster.server, skipTLSVerify: cluster.insecureSkipTlsVerify }],
        users: [{ name: user.name, authProvider: user.authProvider }],
        contexts: [{ name: ctx.name, cluster: cluster.name, user: user.name }],
        currentContext: ctx.name,
      });
    }
    const req: RequestOptions = { headers: {} };
    try {
      await authProviderConfig.applyToHTTPSOptions(req);
    } catch (err) {
      throw new KubeError(`auth-provider "${user.authProvider?.name ?? ''}" of context "${ctx.name}" failed`, {
        reason: 'AuthFailed',
        cause: err,
        hint:
          user.authProvider?.name === 'oidc'
            ? 'the OIDC refresh token may have expired: log in again with your OIDC helper (e.g. kubelogin)'
            : 'this auth-provider is deprecated in kubectl; switch the kubeconfig to the matching exec plugin',
      });
    }
    const value = (req.headers as Record<string, unknown> | undefined)?.Authorization;
    if (typeof value !== 'string')
      throw new KubeError(`auth-provider "${user.authProvider?.name ?? ''}" of context "${ctx.name}" gave no token`, {
        reason: 'AuthFailed',
        hint: 'this auth-provider is not supported; use an exec plugin instead',
      });
    return value;
  };

  // Building credentials per request would cost more than the request; they change only when files are rewritten,
  // an exec credential nears expiry (its own cache handles that) or the cluster says 401 (invalidate).
  let cached: { at: number; value: Promise<Credentials> } | undefined;
  return {
    method,
    credentials: () => {
      if (cached && Date.now() - cached.at < CREDENTIALS_TTL_MS) return cached.value;
      const value = credentials();
      cached = { at: Date.now(), value };
      value.catch(() => {
        if (cached?.value === value) cached = undefined;
      });
      return value;
    },
    invalidate: () => {
      cached = undefined;
      files.clear();
      if (user.exec) opts.exec.invalidate(user.name, user.exec, cluster);
      return user.exec !== undefined || user.authProvider !== undefined || user.tokenFile !== undefined;
    },
  };
}

function fingerprint(tls: TlsMaterial): string {
  const part = (b?: Buffer): string => (b ? `${b.length}:${b.subarray(-32).toString('base64')}` : '-');
  return [part(tls.ca), part(tls.cert), part(tls.key), tls.rejectUnauthorized, tls.servername ?? ''].join('|');
}
