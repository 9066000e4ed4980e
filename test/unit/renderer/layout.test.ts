import ELK from 'elkjs/lib/elk.bundled.js';
import { describe, expect, it, vi } from 'vitest';

import { withState } from '../../../main/api/flux-state.ts';
import { runElkJobs } from '../../../renderer/features/graph/elk-runner.ts';
import { createLayoutClient } from '../../../renderer/features/graph/layout-client.ts';
import {
  assemble,
  type ComponentLayout,
  components,
  leafGrid,
  quickLayout,
  SIZE,
} from '../../../renderer/features/graph/layout-model.ts';
import { projectGraph, type Projection } from '../../../renderer/features/graph/projection.ts';
import { syntheticFleet } from '../../support/fleet.ts';

function fleetProjection(clusters: string[], perCluster = 6): Projection {
  const fleet = syntheticFleet({
    clusters,
    kustomizationsPerCluster: perCluster,
    workloadsPerKustomization: 3,
    othersPerKustomization: 1,
  });
  return projectGraph({
    objects: Object.fromEntries(fleet.objects.map((o) => [o.uid, withState(o)])),
    workloads: Object.fromEntries(fleet.workloads.map((w) => [w.uid, w])),
    scope: 'all',
    search: '',
    statusFilter: 'all',
    collapsed: {},
    showAllKinds: false,
    busy: new Set(),
  });
}

const elk = new ELK();
const run = (jobs: Parameters<typeof runElkJobs>[1]): Promise<ComponentLayout[]> => runElkJobs(elk, jobs);

function boxes(
  p: Projection,
  positions: Map<string, { x: number; y: number }>,
): { id: string; x: number; y: number; w: number; h: number }[] {
  return p.nodes.map((n) => {
    const pos = positions.get(n.id);
    const size = n.role === 'flux' || n.role === 'source' ? SIZE.flux : SIZE.leaf;
    if (!pos) throw new Error(`no position for ${n.id}`);
    return { id: n.id, x: pos.x, y: pos.y, w: size.width, h: size.height };
  });
}

function expectNoOverlaps(all: { id: string; x: number; y: number; w: number; h: number }[]): void {
  for (let i = 0; i < all.length; i++)
    for (let j = i + 1; j < all.length; j++) {
      const a = all[i]!;
      const b = all[j]!;
      const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
      expect(overlap, `${a.id} overlaps ${b.id}`).toBe(false);
    }
}

describe('the layout', () => {
  it('gives ELK one component per cluster and only the skeleton; leaves ride in their owner’s block', () => {
    const p = fleetProjection(['a', 'b']);
    const comps = components(p);
    expect(comps.map((c) => c.cluster)).toEqual(['a', 'b']);
    const skeleton = p.nodes.filter((n) => n.role === 'source' || n.role === 'flux').length;
    expect(comps.reduce((n, c) => n + c.blocks.length, 0)).toBe(skeleton);
    expect(comps.flatMap((c) => c.blocks.flatMap((b) => b.leaves)).sort()).toEqual(
      p.nodes
        .filter((n) => n.owner !== undefined)
        .map((n) => n.id)
        .sort(),
    );
  });

  it('wraps a long inventory into columns', () => {
    expect(leafGrid(0)).toEqual({ columns: 0, rows: 0 });
    expect(leafGrid(SIZE.rowsPerColumn)).toEqual({ columns: 1, rows: SIZE.rowsPerColumn });
    expect(leafGrid(SIZE.rowsPerColumn + 1).columns).toBe(2);
  });

  it('keys a component by its shape: a status change keeps the key, a new object changes it', () => {
    const p = fleetProjection(['a']);
    const [before] = components(p);
    const restyled: Projection = {
      ...p,
      nodes: p.nodes.map((n) => ({ ...n, status: 'failed' as const, detail: 'x' })),
    };
    expect(components(restyled)[0]?.key).toBe(before?.key);
    const bigger = fleetProjection(['a'], 7);
    expect(components(bigger)[0]?.key).not.toBe(before?.key);
  });

  it('places every node, without overlaps, with each cluster in its own section', async () => {
    const p = fleetProjection(['a', 'b', 'c']);
    const comps = components(p);
    const results = await run(
      comps.map((c) => ({
        key: c.key,
        graph: {
          id: 'root',
          layoutOptions: { 'elk.algorithm': 'layered', 'elk.direction': 'RIGHT' },
          children: c.blocks.map((b) => ({ id: b.id, width: b.width, height: b.height })),
          edges: c.edges.map((e) => ({ id: e.id, sources: [e.source], targets: [e.target] })),
        },
      })),
    );
    const layout = assemble(comps, new Map(results.map((r) => [r.key, r])));
    const all = boxes(p, layout.positions);
    expect(all).toHaveLength(p.nodes.length);
    expectNoOverlaps(all);
    expect(layout.sections.map((s) => s.cluster)).toEqual(['a', 'b', 'c']);
    for (const s of layout.sections) {
      const inside = all.filter((b) => p.nodes.find((n) => n.id === b.id)?.cluster === s.cluster);
      for (const b of inside) {
        expect(b.x).toBeGreaterThanOrEqual(s.x);
        expect(b.x + b.w).toBeLessThanOrEqual(s.x + s.width);
        expect(b.y + b.h).toBeLessThanOrEqual(s.y + s.height);
      }
    }
  });

  it('puts a source left of what it feeds, and a dependency left of its dependent, provisionally and with ELK', async () => {
    const p = fleetProjection(['a']);
    const client = createLayoutClient(run);
    const now = client.now(p).layout;
    const final = await client.refine(p);
    for (const layout of [now, final])
      for (const e of p.edges.filter((x) => x.role === 'source' || x.role === 'depends')) {
        expect(layout.positions.get(e.source)!.x).toBeLessThan(layout.positions.get(e.target)!.x);
      }
  });

  it('shows a provisional layout at once, placing every node without overlaps', () => {
    const p = fleetProjection(['a', 'b']);
    const { layout, final } = createLayoutClient(() => new Promise(() => undefined)).now(p);
    expect(final).toBe(false);
    expectNoOverlaps(boxes(p, layout.positions));
  });

  it('lays out a cycle provisionally: a bootstrap’s Kustomization applies its own GitRepository', () => {
    const block = (id: string) => ({ id, width: SIZE.flux.width, height: SIZE.flux.height, leaves: [] });
    const layout = quickLayout({
      key: 'k',
      cluster: 'c',
      blocks: [block('git'), block('ks'), block('app')],
      edges: [
        { id: 'e1', source: 'git', target: 'ks', role: 'source' },
        { id: 'e2', source: 'ks', target: 'git', role: 'inventory' },
        { id: 'e3', source: 'ks', target: 'app', role: 'inventory' },
      ],
    });
    expect(Object.keys(layout.positions).sort()).toEqual(['app', 'git', 'ks']);
    expect(layout.positions.ks!.x).toBeLessThan(layout.positions.app!.x);
  });

  it('lays out only components whose shape changed (incremental)', async () => {
    const runner = vi.fn(run);
    const client = createLayoutClient(runner);
    await client.refine(fleetProjection(['a', 'b']));
    expect(runner).toHaveBeenCalledTimes(1);
    expect(runner.mock.calls[0]?.[0]).toHaveLength(2);
    expect(client.now(fleetProjection(['a', 'b'])).final).toBe(true);
    await client.refine(fleetProjection(['a', 'b']));
    expect(runner).toHaveBeenCalledTimes(1);
    expect(client.now(fleetProjection(['a', 'b', 'c'])).final).toBe(false);
    await client.refine(fleetProjection(['a', 'b', 'c']));
    expect(runner).toHaveBeenCalledTimes(2);
    expect(runner.mock.calls[1]?.[0]).toHaveLength(1);
  });
});
