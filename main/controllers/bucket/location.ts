/**
 * A Bucket's spec and Secrets turned into where and how to reach it (main/sources/bucket's BucketLocation), with
 * Flux's validation and reasons. Pure. What a workstation cannot do (cloud identities, GCS and Azure clients, STS,
 * proxies) fails here with a condition that says so and what to use instead, never a silent fallback.
 */
import type { Bucket } from '../../flux/source.ts';
import { BucketError, BucketReason } from '../../sources/bucket/bucket-error.ts';
import type { BucketLocation } from '../../sources/bucket/bucket-source.ts';

const DEFAULT_REGION = 'us-east-1';

function unsupported(message: string): BucketError {
  return new BucketError(BucketReason.InvalidProviderConfiguration, message);
}

/** Rejects what Fluxdeck cannot do for this Bucket, before any network call. */
export function checkSupported(bucket: Bucket): void {
  const { provider = 'generic', serviceAccountName, sts, proxySecretRef } = bucket.spec;
  if (provider === 'gcp')
    throw unsupported(
      "provider 'gcp' is not supported by Fluxdeck yet; use provider 'generic' with endpoint storage.googleapis.com and an HMAC key (accesskey/secretkey)",
    );
  if (provider === 'azure')
    throw unsupported(
      "provider 'azure' is not supported by Fluxdeck yet; Azure Blob Storage has no S3 API to fall back to",
    );
  if (serviceAccountName)
    throw unsupported(
      `spec.serviceAccountName '${serviceAccountName}' needs workload identity, which a workstation does not have; use spec.secretRef with static keys`,
    );
  if (sts) throw new BucketError(BucketReason.InvalidSTSConfiguration, 'spec.sts is not supported by Fluxdeck yet');
  if (proxySecretRef)
    throw unsupported(`spec.proxySecretRef '${proxySecretRef.name}' is not supported by Fluxdeck yet; remove it`);
}

/** The static keys of `spec.secretRef` (Flux's minio.ValidateSecret), or none for anonymous generic buckets. */
export function keysOf(
  bucket: Bucket,
  secret: Record<string, string> | undefined,
): { accessKey: string; secretKey: string } | undefined {
  const name = bucket.spec.secretRef?.name ?? '';
  if (!secret) {
    if ((bucket.spec.provider ?? 'generic') === 'aws')
      throw new BucketError(
        BucketReason.AuthenticationFailed,
        "provider 'aws' without spec.secretRef would use IAM credentials (instance profile or IRSA), which are not available on a workstation; add a Secret with 'accesskey' and 'secretkey' and set spec.secretRef",
      );
    return undefined;
  }
  const accessKey = secret.accesskey;
  const secretKey = secret.secretkey;
  if (!accessKey || !secretKey)
    throw new BucketError(
      BucketReason.AuthenticationFailed,
      `invalid '${name}' secret data: required fields 'accesskey' and 'secretkey'`,
    );
  return { accessKey, secretKey };
}

/** `ca.crt`, `tls.crt` and `tls.key` of `spec.certSecretRef` (Flux's KubeTLSClientConfigFromSecret keys). */
export function tlsOf(bucket: Bucket, secret: Record<string, string> | undefined): BucketLocation['tls'] | undefined {
  if (!bucket.spec.certSecretRef) return undefined;
  const name = bucket.spec.certSecretRef.name;
  if (!secret)
    throw new BucketError(BucketReason.AuthenticationFailed, `failed to get TLS secret '${name}': not found`);
  const ca = secret['ca.crt'];
  const cert = secret['tls.crt'];
  const key = secret['tls.key'];
  if (!ca && !(cert && key))
    throw new BucketError(
      BucketReason.AuthenticationFailed,
      `certificate secret '${name}' does not contain any TLS configuration ('ca.crt', or 'tls.crt' and 'tls.key')`,
    );
  return { ...(ca && { ca }), ...(cert && key && { cert, key }) };
}

/** Host-style addressing only where S3 itself wants it (AWS endpoints) and the bucket name can be a host label. */
function addressingOf(bucket: Bucket, host: string): 'path' | 'virtual' {
  const aws = (bucket.spec.provider ?? 'generic') === 'aws' || /(^|\.)amazonaws\.com(\.cn)?$/.test(host);
  const dnsSafe = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(bucket.spec.bucketName);
  return aws && dnsSafe ? 'virtual' : 'path';
}

export function locationOf(bucket: Bucket, keys: BucketLocation['keys'], tls: BucketLocation['tls']): BucketLocation {
  const endpoint = bucket.spec.endpoint.trim();
  if (endpoint === '' || /^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint) || /[/?#\s]/.test(endpoint))
    throw new BucketError(
      BucketReason.URLInvalid,
      `invalid spec.endpoint '${endpoint}': give host[:port] without scheme or path; set spec.insecure: true for plain HTTP`,
    );
  const region = bucket.spec.region || DEFAULT_REGION;
  // minio-go reaches a region's AWS endpoint when given the global one and a region.
  const host =
    (bucket.spec.provider ?? 'generic') === 'aws' && endpoint === 's3.amazonaws.com' && bucket.spec.region
      ? `s3.${region}.amazonaws.com`
      : endpoint;
  return {
    endpoint: host,
    secure: !bucket.spec.insecure,
    bucket: bucket.spec.bucketName,
    region,
    addressing: addressingOf(bucket, host),
    ...(keys && { keys }),
    ...(tls && !bucket.spec.insecure && { tls }),
  };
}
