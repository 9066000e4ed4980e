/**
 * A Provider object and its Secret turned into ProviderSettings, reading the keys as notification-controller
 * does (`createNotifier`, `extractAuthFromSecret`): `address` overrides spec.address (max 2048 bytes), `token`,
 * `username` + `password` (basic auth, both needed), `headers` (a YAML map of extra HTTP headers).
 */
import { parse } from 'yaml';

import { parseDuration } from '../../flux/duration.ts';
import type { NotificationEvent } from '../../flux/events.ts';
import { COMMIT_STATUS_PROVIDERS, type Provider, PROVIDER_DEFAULT_TIMEOUT } from '../../flux/notification.ts';
import { errorMessage } from '../../util/errors.ts';
import { parseProxyUrl } from '../../util/http-proxy.ts';
import { defaultCommitStatus, ProviderConfigError, type ProviderSettings } from './provider-request.ts';

/** Secret data decoded to strings (callers decode base64 `data`). */
export type SecretStrings = Record<string, string>;

const MAX_ADDRESS_BYTES = 2048;

export function providerSettings(
  provider: Provider,
  secret: SecretStrings | undefined,
  event?: NotificationEvent,
  proxySecret?: SecretStrings,
): ProviderSettings {
  const spec = provider.spec;
  let address = spec.address ?? '';
  const settings: ProviderSettings = { type: spec.type, address };
  const proxy = proxyUrl(provider, secret, proxySecret);
  if (proxy) settings.proxy = proxy;
  if (spec.channel) settings.channel = spec.channel;
  if (spec.username) settings.username = spec.username;
  if (secret) {
    if (secret.address !== undefined) {
      if (Buffer.byteLength(secret.address) > MAX_ADDRESS_BYTES) {
        throw new ProviderConfigError(
          `invalid address in secret: address exceeds maximum length of ${MAX_ADDRESS_BYTES} bytes`,
        );
      }
      address = secret.address.trim();
    }
    if (secret.token !== undefined) settings.token = secret.token.trim();
    if (secret.username !== undefined && secret.password !== undefined) {
      settings.username = secret.username;
      settings.password = secret.password;
    }
    if (secret.headers !== undefined) settings.headers = parseHeaders(secret.headers);
  }
  settings.address = address;
  if (!address) throw new ProviderConfigError('provider has no address');
  if (spec.commitStatusExpr && COMMIT_STATUS_PROVIDERS.includes(spec.type)) {
    // notification-controller evaluates it with cel-go; there is no maintained CEL implementation for JavaScript,
    // and a status id silently different from the expression's would break branch protection rules.
    throw new ProviderConfigError(
      'failed to evaluate the spec.commitStatusExpr CEL expression for the event: CEL expressions are not supported by Fluxdeck; remove spec.commitStatusExpr to use the default status id',
    );
  }
  if (event && COMMIT_STATUS_PROVIDERS.includes(spec.type)) {
    settings.commitStatus = defaultCommitStatus(provider.metadata.uid ?? '', event);
  }
  return settings;
}

/**
 * The proxy as createNotifier applies it, the last one set winning: the deprecated `spec.proxy`, the deprecated
 * `proxy` key of the Provider's Secret, then `spec.proxySecretRef` (`address`, optional `username`/`password`).
 */
function proxyUrl(
  provider: Provider,
  secret: SecretStrings | undefined,
  proxySecret: SecretStrings | undefined,
): string | undefined {
  let proxy = provider.spec.proxy || undefined;
  const ns = provider.metadata.namespace ?? '';
  if (secret?.proxy !== undefined) {
    proxy = secret.proxy.trim();
    if (!URL.canParse(proxy)) {
      throw new ProviderConfigError(`invalid 'proxy' in secret '${ns}/${provider.spec.secretRef?.name ?? ''}'`);
    }
  }
  const ref = provider.spec.proxySecretRef;
  if (ref && proxySecret) {
    const where = `secret '${ns}/${ref.name}'`;
    const addr = proxySecret.address?.trim();
    if (!addr) throw new ProviderConfigError(`failed to get proxy URL: ${where}: key 'address' not found`);
    let u: URL;
    try {
      u = new URL(addr);
    } catch (cause) {
      throw new ProviderConfigError(`failed to get proxy URL: ${where}: invalid address`, { cause });
    }
    if (proxySecret.username) {
      u.username = encodeURIComponent(proxySecret.username);
      u.password = encodeURIComponent(proxySecret.password ?? '');
    }
    proxy = u.href;
  }
  if (proxy) {
    try {
      parseProxyUrl(proxy);
    } catch (cause) {
      throw new ProviderConfigError(`failed to get proxy URL: ${errorMessage(cause)}`, { cause });
    }
  }
  return proxy;
}

function parseHeaders(text: string): Record<string, string> {
  let value: unknown;
  try {
    value = parse(text);
  } catch (cause) {
    throw new ProviderConfigError('failed to read headers from secret', { cause });
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ProviderConfigError('failed to read headers from secret: not a map of header names to values');
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    // sigs.k8s.io/yaml into map[string]string: a number or a list is an error there too.
    if (typeof v !== 'string')
      throw new ProviderConfigError(`failed to read headers from secret: '${k}' is not a string`);
    out[k] = v;
  }
  return out;
}

/** spec.timeout, default 15s. */
export function providerTimeoutMs(provider: Provider): number {
  return parseDuration(provider.spec.timeout ?? PROVIDER_DEFAULT_TIMEOUT);
}
