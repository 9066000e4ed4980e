/**
 * A unified diff of two versions of a file whose lines were edited in place (the setters never add or remove a
 * line), for `fluxdeck image preview`: each changed line as `-old`/`+new` with three lines of context.
 */
const CONTEXT = 3;

export function inPlaceDiff(path: string, before: string, after: string): string {
  const a = before.split('\n');
  const b = after.split('\n');
  if (a.length !== b.length) throw new Error(`${path}: the edit added or removed lines; not an in-place edit`);
  const changed = a.map((line, i) => line !== b[i]);
  const out = [`--- a/${path}`, `+++ b/${path}`];
  let i = 0;
  while (i < a.length) {
    if (!changed[i]) {
      i++;
      continue;
    }
    const start = Math.max(0, i - CONTEXT);
    let end = i;
    // Extend the hunk while the next change is within two contexts of the last one.
    for (let j = i; j < a.length && j <= end + 2 * CONTEXT + 1; j++) if (changed[j]) end = j;
    const stop = Math.min(a.length, end + CONTEXT + 1);
    out.push(`@@ -${start + 1},${stop - start} +${start + 1},${stop - start} @@`);
    for (let k = start; k < stop; k++) {
      if (changed[k]) out.push(`-${a[k] ?? ''}`, `+${b[k] ?? ''}`);
      else out.push(` ${a[k] ?? ''}`);
    }
    i = stop;
  }
  return `${out.join('\n')}\n`;
}
