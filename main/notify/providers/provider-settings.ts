/**
 * A Provider object and its Secret turned into ProviderSettings, reading the keys as notification-controller
 * does (`createNotifier`, `extractAuthFromSecret`): `address` overrides spec.address (max 2048 bytes), `token`,
 * `username` + `password` (basic auth, both needed), `headers` (a YAML map of extra HTTP headers).
 */
import { parse } from 'yaml';

import { parseDuration } from '../../flux/duration.ts';
import type { NotificationEvent } from '../../flux/events.ts';
import { COMMIT_STATUS_PROVIDERS, type Provider, PROVIDER_DEFAULT_TIMEOUT } from '../../flux/notification.ts';
import { defaultCommitStatus, ProviderConfigError, type ProviderSettings } from './provider-request.ts';

/** Secret data decoded to strings (callers decode base64 `data`). */
export type SecretStrings = Record<string, string>;

const MAX_ADDRESS_BYTES = 2048;

export function providerSettings(
  provider: Provider,
  secret: SecretStrings | undefined,
  event?: NotificationEvent,
): ProviderSettings {
  const spec = provider.spec;
  let address = spec.address ?? '';
  const settings: ProviderSettings = { type: spec.type, address };
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
  if (event && COMMIT_STATUS_PROVIDERS.includes(spec.type)) {
    settings.commitStatus = defaultCommitStatus(provider.metadata.uid ?? '', event);
  }
  return settings;
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
