import { SourceFailure } from '../source/reconcile.ts';
import { BuildReason, ChartBuildError } from './ports.ts';

/**
 * A repository Secret that could not be read fails the chart's fetch as AuthenticationFailed (Flux's
 * `GetClientOpts` error), not as a pull error: the fix is the Secret, not the repository.
 */
export function secretFailure(err: unknown): never {
  if (err instanceof SourceFailure)
    throw new ChartBuildError(BuildReason.ChartPull, err.message, { cause: err, fetchReason: err.reason });
  throw err;
}
