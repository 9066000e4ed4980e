/**
 * Git credentials from the data of the Secret named by `spec.secretRef`, with Flux's key names. The caller reads the
 * Secret (main/sources does not talk to Kubernetes) and passes its data as plain strings or bytes.
 *
 * - HTTPS basic auth: `username`, `password` (OAuth tokens go in `password`); sent pre-emptively, as go-git does.
 * - HTTPS bearer token: `bearerToken` (`Authorization: Bearer ...`); basic auth wins when both are present.
 * - Custom CA: `ca.crt`, or the legacy `caFile`.
 * - SSH: `identity` (private key), `known_hosts`, optional `password` (the key's passphrase).
 */
import { fetchFailed, SourceReason } from '../source-error.ts';
import type { GitUrl } from './git-url.ts';

export type SecretData = Record<string, string | Uint8Array | undefined>;

export interface HttpAuth {
  kind: 'http';
  /** The Authorization header, when there are credentials. */
  authorization?: string;
  /** PEM bundle trusted in addition to the system roots. */
  caCert?: string;
}

export interface SshAuth {
  kind: 'ssh';
  identity: string;
  knownHosts: string;
  passphrase?: string;
}

export type GitAuth = HttpAuth | SshAuth;

function text(v: string | Uint8Array | undefined): string | undefined {
  if (v === undefined) return undefined;
  const s = typeof v === 'string' ? v : Buffer.from(v).toString('utf8');
  return s === '' ? undefined : s;
}

/**
 * Turns secret data into the auth for `url`. `secretName` only names the Secret in error messages. Throws a
 * SourceError (AuthenticationFailed) when the keys cannot work for this URL.
 */
export function authFromSecret(url: GitUrl, data: SecretData | undefined, secretName = 'the secret'): GitAuth {
  const d = data ?? {};
  if (url.protocol === 'ssh') {
    const identity = text(d.identity);
    const knownHosts = text(d.known_hosts);
    if (!identity) throw bad(`'identity' is required for ssh:// URLs; add the private key to ${secretName}`);
    if (!knownHosts) {
      throw bad(
        `'known_hosts' is required for ssh:// URLs; add the output of 'ssh-keyscan ${url.host}' to ${secretName}`,
      );
    }
    const passphrase = text(d.password);
    return { kind: 'ssh', identity, knownHosts, ...(passphrase === undefined ? {} : { passphrase }) };
  }
  const username = text(d.username);
  const password = text(d.password);
  const bearer = text(d.bearerToken);
  const caCert = text(d['ca.crt']) ?? text(d.caFile);
  if (password !== undefined && username === undefined) {
    throw bad(`'password' requires 'username' to be set in ${secretName}`);
  }
  const auth: HttpAuth = { kind: 'http' };
  if (username !== undefined || password !== undefined) {
    auth.authorization = `Basic ${Buffer.from(`${username ?? ''}:${password ?? ''}`).toString('base64')}`;
  } else if (bearer !== undefined) {
    auth.authorization = `Bearer ${bearer}`;
  }
  if (caCert !== undefined) {
    if (url.protocol === 'http') throw bad(`a CA certificate in ${secretName} needs an https:// URL, not http://`);
    auth.caCert = caCert;
  }
  return auth;
}

function bad(message: string): Error {
  return fetchFailed(SourceReason.AuthenticationFailed, `invalid auth options: ${message}`);
}
