/**
 * A Bucket source failure with the Flux reason and the negative condition it is recorded under; the shared source
 * reconcile (main/controllers/source) reads `reason` and `condition` off any error.
 */

/** Flux's Bucket reasons (`api/v1/bucket_types.go`, `condition_types.go`) that this module raises. */
export const BucketReason = {
  BucketOperationFailed: 'BucketOperationFailed',
  AuthenticationFailed: 'AuthenticationFailed',
  URLInvalid: 'URLInvalid',
  InvalidPath: 'InvalidPath',
  ArchiveOperationFailed: 'ArchiveOperationFailed',
  InvalidProviderConfiguration: 'InvalidProviderConfiguration',
  InvalidSTSConfiguration: 'InvalidSTSConfiguration',
} as const;
export type BucketReason = (typeof BucketReason)[keyof typeof BucketReason];

export class BucketError extends Error {
  override readonly name = 'BucketError';
  readonly reason: BucketReason;
  readonly condition: 'FetchFailed' | 'StorageOperationFailed';
  constructor(
    reason: BucketReason,
    message: string,
    options?: ErrorOptions & { condition?: 'FetchFailed' | 'StorageOperationFailed' },
  ) {
    super(message, options);
    this.reason = reason;
    this.condition = options?.condition ?? 'FetchFailed';
  }
}
