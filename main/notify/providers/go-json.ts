/**
 * JSON as Go's encoding/json writes it: struct fields in declaration order (the callers build objects in that
 * order) and `<`, `>`, `&`, U+2028, U+2029 escaped, so bodies (and their HMAC signatures) match what Flux sends.
 */
export function goJson(value: unknown): string {
  return JSON.stringify(value)
    .replaceAll('<', '\\u003c')
    .replaceAll('>', '\\u003e')
    .replaceAll('&', '\\u0026')
    .replaceAll('\u2028', '\\u2028')
    .replaceAll('\u2029', '\\u2029');
}
