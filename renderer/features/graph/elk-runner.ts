/**
 * Runs ELK jobs and reduces the answers to block positions. Used inside the layout worker; kept free of worker
 * globals so it can be tested in Node with the same elkjs build.
 */
import type { ComponentLayout, ElkJob } from './layout-model.ts';

export interface ElkLike {
  layout(graph: ElkJob['graph']): Promise<{
    width?: number;
    height?: number;
    children?: { id: string; x?: number; y?: number }[];
  }>;
}

export async function runElkJobs(elk: ElkLike, jobs: ElkJob[]): Promise<ComponentLayout[]> {
  const out: ComponentLayout[] = [];
  for (const job of jobs) {
    const res = await elk.layout(job.graph);
    const positions: ComponentLayout['positions'] = {};
    for (const c of res.children ?? []) positions[c.id] = { x: c.x ?? 0, y: c.y ?? 0 };
    out.push({ key: job.key, width: res.width ?? 0, height: res.height ?? 0, positions });
  }
  return out;
}
