/**
 * The one error type main/sources throws. It carries what the GitRepository controller needs to write Flux's status:
 * the condition the failure belongs to (`FetchFailed`, `IncludeUnavailable`, `StorageOperationFailed`) and the reason
 * (`AuthenticationFailed`, `GitOperationFailed`, ...), plus whether retrying can help (`stalled`). It survives
 * structured cloning out of a worker thread as plain fields (see `toJSON` / `fromJSON`).
 */

/** Flux condition reasons used by source failures (`api/v1/condition_types.go`). */
export const SourceReason = {
  URLInvalid: 'URLInvalid',
  AuthenticationFailed: 'AuthenticationFailed',
  GitOperationFailed: 'GitOperationFailed',
  ArchiveOperationFailed: 'ArchiveOperationFailed',
  StorageOperationFailed: 'StorageOperationFailed',
  DirCreationFailed: 'DirectoryCreationFailed',
  ReadOperationFailed: 'ReadOperationFailed',
  InvalidPath: 'InvalidPath',
  /** Include reasons, as Flux's reconcileInclude / fetchIncludes write them. */
  NoArtifact: 'NoArtifact',
  CopyFailure: 'CopyFailure',
  IllegalPath: 'IllegalPath',
} as const;
export type SourceReason = (typeof SourceReason)[keyof typeof SourceReason];

/** The negative-polarity condition a failure is recorded under. */
export type SourceFailureCondition = 'FetchFailed' | 'IncludeUnavailable' | 'StorageOperationFailed';

export interface SourceErrorInfo {
  message: string;
  reason: SourceReason;
  condition: SourceFailureCondition;
  /** True when retrying without a spec or secret change cannot succeed (Flux's "stalling" errors). */
  stalled?: boolean;
}

export class SourceError extends Error {
  readonly reason: SourceReason;
  readonly condition: SourceFailureCondition;
  readonly stalled: boolean;

  constructor(info: SourceErrorInfo, options?: { cause?: unknown }) {
    super(info.message, options);
    this.name = 'SourceError';
    this.reason = info.reason;
    this.condition = info.condition;
    this.stalled = info.stalled ?? false;
  }

  toJSON(): SourceErrorInfo & { name: string } {
    return {
      name: this.name,
      message: this.message,
      reason: this.reason,
      condition: this.condition,
      stalled: this.stalled,
    };
  }

  static fromJSON(info: SourceErrorInfo): SourceError {
    return new SourceError(info);
  }
}

export function fetchFailed(reason: SourceReason, message: string, cause?: unknown, stalled = false): SourceError {
  return new SourceError({ reason, message, condition: 'FetchFailed', stalled }, { cause });
}

export function storageFailed(reason: SourceReason, message: string, cause?: unknown): SourceError {
  return new SourceError({ reason, message, condition: 'StorageOperationFailed' }, { cause });
}

export function includeFailed(reason: SourceReason, message: string, cause?: unknown): SourceError {
  return new SourceError({ reason, message, condition: 'IncludeUnavailable' }, { cause });
}

/** The message of any thrown value, for wrapping. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
