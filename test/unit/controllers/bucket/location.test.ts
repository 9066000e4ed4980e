// How a Bucket's spec and Secrets become an S3 location, and what Fluxdeck refuses with a reason instead of guessing.
import { describe, expect, it } from 'vitest';

import { checkSupported, keysOf, locationOf, tlsOf } from '../../../../main/controllers/bucket/location.ts';
import type { Bucket } from '../../../../main/flux/source.ts';

function bucket(spec: Partial<Bucket['spec']> = {}): Bucket {
  return {
    apiVersion: 'source.toolkit.fluxcd.io/v1',
    kind: 'Bucket',
    metadata: { name: 'b', namespace: 'ns' },
    spec: { bucketName: 'manifests', endpoint: 'minio.local:9000', interval: '1m', ...spec },
  };
}

describe('locationOf', () => {
  it('generic: path-style on the endpoint, https unless insecure, region us-east-1 by default', () => {
    expect(locationOf(bucket(), undefined, undefined)).toEqual({
      endpoint: 'minio.local:9000',
      secure: true,
      bucket: 'manifests',
      region: 'us-east-1',
      addressing: 'path',
    });
    expect(locationOf(bucket({ insecure: true, region: 'eu-west-1' }), undefined, undefined)).toMatchObject({
      secure: false,
      region: 'eu-west-1',
    });
  });

  it('aws: the region endpoint and virtual-host addressing when the bucket name is a host label', () => {
    expect(
      locationOf(
        bucket({ provider: 'aws', endpoint: 's3.amazonaws.com', region: 'eu-central-1' }),
        undefined,
        undefined,
      ),
    ).toMatchObject({ endpoint: 's3.eu-central-1.amazonaws.com', addressing: 'virtual', region: 'eu-central-1' });
    expect(
      locationOf(
        bucket({ provider: 'aws', endpoint: 's3.amazonaws.com', bucketName: 'has.dots' }),
        undefined,
        undefined,
      ),
    ).toMatchObject({ addressing: 'path' });
  });

  it('refuses an endpoint with a scheme or a path, saying what to write instead', () => {
    for (const endpoint of ['http://minio:9000', 'minio:9000/bucket', ''])
      expect(() => locationOf(bucket({ endpoint }), undefined, undefined)).toThrow(
        expect.objectContaining({ reason: 'URLInvalid', message: expect.stringContaining('host[:port]') }),
      );
  });
});

describe('keysOf', () => {
  it('reads accesskey and secretkey, and names the secret when one is missing', () => {
    expect(keysOf(bucket({ secretRef: { name: 's' } }), { accesskey: 'a', secretkey: 'k' })).toEqual({
      accessKey: 'a',
      secretKey: 'k',
    });
    expect(() => keysOf(bucket({ secretRef: { name: 's' } }), { accesskey: 'a' })).toThrow(
      expect.objectContaining({
        reason: 'AuthenticationFailed',
        message: "invalid 's' secret data: required fields 'accesskey' and 'secretkey'",
      }),
    );
  });

  it('generic without a secret is anonymous; aws without one says IAM/IRSA is not available here', () => {
    expect(keysOf(bucket(), undefined)).toBeUndefined();
    expect(() => keysOf(bucket({ provider: 'aws' }), undefined)).toThrow(
      expect.objectContaining({ reason: 'AuthenticationFailed', message: expect.stringMatching(/IRSA.*workstation/) }),
    );
  });
});

describe('tlsOf', () => {
  it('takes ca.crt, and tls.crt with tls.key, from certSecretRef', () => {
    const b = bucket({ certSecretRef: { name: 'tls' } });
    expect(tlsOf(b, { 'ca.crt': 'CA' })).toEqual({ ca: 'CA' });
    expect(tlsOf(b, { 'tls.crt': 'C', 'tls.key': 'K' })).toEqual({ cert: 'C', key: 'K' });
    expect(() => tlsOf(b, { other: 'x' })).toThrow(/does not contain any TLS configuration/);
    expect(tlsOf(bucket(), undefined)).toBeUndefined();
  });
});

describe('checkSupported', () => {
  it.each([
    [{ provider: 'gcp' as const }, /provider 'gcp' is not supported by Fluxdeck yet/],
    [{ provider: 'azure' as const }, /provider 'azure' is not supported by Fluxdeck yet/],
    [{ provider: 'aws' as const, serviceAccountName: 'sa' }, /workload identity/],
    [{ proxySecretRef: { name: 'p' } }, /proxySecretRef 'p' is not supported/],
  ])('refuses %j with a reason', (spec, message) => {
    expect(() => checkSupported(bucket(spec))).toThrow(
      expect.objectContaining({ reason: 'InvalidProviderConfiguration', message: expect.stringMatching(message) }),
    );
  });

  it('accepts generic and aws with static keys', () => {
    expect(() => checkSupported(bucket())).not.toThrow();
    expect(() => checkSupported(bucket({ provider: 'aws' }))).not.toThrow();
  });
});
