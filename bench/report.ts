/** A measured quantity with its unit, e.g. `{ value: 412, unit: 'ms' }`. */
export interface Measure {
  value: number;
  unit: string;
}

function fmt(m: Measure): string {
  const v =
    Math.abs(m.value) >= 100 ? m.value.toFixed(0) : Math.abs(m.value) >= 10 ? m.value.toFixed(1) : m.value.toFixed(2);
  return `${v}${m.unit}`;
}

/**
 * The one line every benchmark ends with:
 * `bench NAME: <what> fluxdeck <value><unit>, <reference> <value><unit>, ratio <fluxdeck/reference>`.
 */
export function benchLine(
  name: string,
  what: string,
  fluxdeck: Measure,
  reference: { name: string } & Measure,
): string {
  const ratio = reference.value === 0 ? Number.POSITIVE_INFINITY : fluxdeck.value / reference.value;
  return `bench ${name}: ${what} fluxdeck ${fmt(fluxdeck)}, ${reference.name} ${fmt(reference)}, ratio ${ratio.toFixed(2)}`;
}

/** Median of repeated timings, robust against one slow outlier on a 2-core machine. */
export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Runs `fn` `times` times and returns each duration in milliseconds. */
export async function timeRuns(times: number, fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < times; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}
