/**
 * Small helpers the projection and layout share. Both run on every store change over thousands of nodes, so they
 * avoid patterns that are quadratic at that size (copying a list to append one item to it).
 */

/** Appends `value` to the list under `key`, in place. */
export function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
