/**
 * The read buffer for HTTP response bodies that may be large (registry blobs, git packs, charts, bucket objects).
 *
 * With Node's default 16 KiB `highWaterMark` the response stream applies back-pressure to the socket every few
 * chunks, and each pause/resume of the socket costs a scheduler round trip: a 40 MB blob from the distribution
 * registry on loopback took ~300 ms, against ~35 ms with 1 MiB (and ~75 ms for curl) — measured on the 2-core CI
 * machine. The buffer is an upper bound per response, not an allocation.
 */
export const BODY_HIGH_WATER_MARK = 1 << 20;

/**
 * Spread into `http.request` options. Node's ClientRequest passes `highWaterMark` on to the response, but
 * @types/node's RequestOptions does not declare it, so a literal property would not typecheck.
 */
export const largeBodyRequest: Readonly<{ highWaterMark: number }> = { highWaterMark: BODY_HIGH_WATER_MARK };
