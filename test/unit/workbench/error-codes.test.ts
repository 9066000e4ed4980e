import { describe, expect, it } from 'vitest';

import { RegistryError } from '../../../main/registry/index.ts';
import { asFluxdeckError, codeFor } from '../../../main/workbench/errors.ts';
import { ArtifactError } from '../../../main/workbench/oci-artifacts.ts';

// A registry's answer decides what the UI tells the user to do next: log in, ask for access, check the address.
describe('error codes of registry and artifact failures', () => {
  it.each([
    ['unauthorized', 'unauthorized'],
    ['denied', 'forbidden'],
    ['unreachable', 'unavailable'],
    ['not-found', 'not-found'],
    ['too-large', 'invalid-request'],
  ] as const)('a registry answering %s is %s', (registryCode, code) => {
    expect(codeFor(new RegistryError(registryCode, 'x'))).toBe(code);
  });

  it('finds the registry error under the wrapping that names the operation, keeping its message', () => {
    const err = asFluxdeckError(
      new Error('push failed', { cause: new RegistryError('unauthorized', 'run docker login ghcr.io') }),
      'Pushing apps as an OCI artifact failed',
    );
    expect(err.code).toBe('unauthorized');
    expect(err.message).toBe('Pushing apps as an OCI artifact failed: push failed');
  });

  it('an artifact URL the commands cannot use is an invalid request', () => {
    expect(codeFor(new ArtifactError("'x' is not an OCI URL"))).toBe('invalid-request');
  });
});
