/**
 * Maps items through async work with at most `limit` in flight, keeping the order. The first error rejects once the
 * work already in flight has settled, so nothing keeps running behind the caller's back.
 */
export async function mapPool<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = [];
  const queue = items.entries();
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    for (const [i, item] of queue) {
      if (failure) return;
      try {
        results[i] = await fn(item, i);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  if (failure) throw failure.error;
  return results;
}
