/// <reference lib="webworker" />
/**
 * The layout worker: ELK runs here, off the UI thread, so panning and typing stay smooth while a large graph is laid
 * out. It answers each request with the component layouts it computed.
 */
import ELK from 'elkjs/lib/elk.bundled.js';

import { runElkJobs } from './elk-runner.ts';
import type { ComponentLayout, ElkJob } from './layout-model.ts';

export interface LayoutRequest {
  id: number;
  jobs: ElkJob[];
}

export type LayoutResponse = { id: number; results: ComponentLayout[] } | { id: number; error: string };

const elk = new ELK();
const scope = self as unknown as DedicatedWorkerGlobalScope;

scope.onmessage = (event: MessageEvent<LayoutRequest>) => {
  const { id, jobs } = event.data;
  runElkJobs(elk, jobs).then(
    (results) => scope.postMessage({ id, results } satisfies LayoutResponse),
    (err: unknown) =>
      scope.postMessage({ id, error: err instanceof Error ? err.message : String(err) } satisfies LayoutResponse),
  );
};
