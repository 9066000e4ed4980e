import type { Readable } from 'node:stream';

import type { KubeObject } from '../util/kube-object.ts';

/** One line of a watch response. `ERROR` carries a Status (410 Gone when the resourceVersion is too old). */
export interface WatchEvent<T extends KubeObject = KubeObject> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

/**
 * Splits a watch body into events. Chunks do not respect line boundaries, so a partial line is carried over; a line
 * that is not JSON (a proxy's garbage) ends the stream with an error rather than being skipped silently.
 */
export async function readWatchEvents<T extends KubeObject>(
  body: Readable,
  onEvent: (e: WatchEvent<T>) => void,
): Promise<void> {
  let rest = '';
  body.setEncoding('utf8');
  for await (const chunk of body as AsyncIterable<string>) {
    rest += chunk;
    let nl = rest.indexOf('\n');
    while (nl >= 0) {
      const line = rest.slice(0, nl).trim();
      rest = rest.slice(nl + 1);
      if (line) onEvent(JSON.parse(line) as WatchEvent<T>);
      nl = rest.indexOf('\n');
    }
  }
  if (rest.trim()) onEvent(JSON.parse(rest) as WatchEvent<T>);
}
