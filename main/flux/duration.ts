/**
 * Durations the way Flux writes them: Go `time.Duration` strings (`1m0s`, `1h30m`, `500ms`). Flux's CRDs accept only
 * the units `ms`, `s`, `m` and `h` (pattern below), and its controllers print `Duration.String()`, so values we write
 * back (defaults, CLI flags) look exactly like the ones the `flux` CLI and the real controllers produce.
 *
 * Values are milliseconds as plain numbers (what timers take); sub-millisecond parts survive as fractions.
 */

/** The CRD validation pattern of `spec.interval`, `spec.retryInterval` and most timeouts. */
export const DURATION_PATTERN = /^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/;

/** Source timeouts (`spec.timeout` of GitRepository, OCIRepository, Bucket, HelmRepository) allow no hours. */
export const TIMEOUT_PATTERN = /^([0-9]+(\.[0-9]+)?(ms|s|m))+$/;

const NS_PER_UNIT: Record<string, number> = { ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
const TERM = /([0-9]+)(?:\.([0-9]+))?(ms|s|m|h)/g;

export function isDuration(text: string): boolean {
  return DURATION_PATTERN.test(text);
}

/**
 * Parses a Flux duration into milliseconds. Like Go's `time.ParseDuration`, fractions below a nanosecond are
 * truncated. Throws an Error naming the text when it does not match {@link DURATION_PATTERN}.
 */
export function parseDuration(text: string): number {
  if (!DURATION_PATTERN.test(text)) {
    throw new Error(
      `invalid duration '${text}': expected a Go duration made of numbers with the units ms, s, m or h, e.g. 1m30s`,
    );
  }
  let ns = 0;
  for (const [, whole = '0', frac = '', unit = 's'] of text.matchAll(TERM)) {
    const scale = NS_PER_UNIT[unit] ?? 1;
    // Work in integer nanoseconds so that 1.1s is exactly 1100000000ns, as in Go.
    const fracNs = frac ? Math.trunc((Number(frac.slice(0, 15)) * scale) / 10 ** Math.min(frac.length, 15)) : 0;
    ns += Number(whole) * scale + fracNs;
  }
  return ns / 1e6;
}

/** Formats milliseconds as Go's `time.Duration.String()` does: `0s`, `1.5s`, `1m0s`, `1h30m0s`, `250ms`, `500µs`. */
export function formatDuration(ms: number): string {
  const totalNs = Math.round(ms * 1e6);
  if (totalNs === 0) return '0s';
  const sign = totalNs < 0 ? '-' : '';
  const ns = Math.abs(totalNs);
  if (ns < 1e9) {
    if (ns < 1e3) return `${sign}${ns}ns`;
    if (ns < 1e6) return `${sign}${withFraction(ns, 3)}µs`;
    return `${sign}${withFraction(ns, 6)}ms`;
  }
  const secondsText = withFraction(ns % 60e9, 9);
  const totalMinutes = Math.floor(ns / 60e9);
  if (totalMinutes === 0) return `${sign}${secondsText}s`;
  const hours = Math.floor(totalMinutes / 60);
  const minutes = totalMinutes % 60;
  return hours === 0 ? `${sign}${minutes}m${secondsText}s` : `${sign}${hours}h${minutes}m${secondsText}s`;
}

/** `value / 10^digits` with the fraction printed without trailing zeros, as Go's fmtFrac + fmtInt do. */
function withFraction(value: number, digits: number): string {
  const unit = 10 ** digits;
  const whole = Math.floor(value / unit);
  const frac = (value % unit).toString().padStart(digits, '0').replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : `${whole}`;
}
