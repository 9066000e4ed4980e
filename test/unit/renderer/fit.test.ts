import { describe, expect, it } from 'vitest';

import { fitViewport } from '../../../renderer/features/graph/fit.ts';

const section = (x: number, y: number, width: number, height: number) => ({
  cluster: `c${x}`,
  x,
  y,
  width,
  height,
});

/** Where a graph point lands on the screen. */
const onScreen = (v: { x: number; y: number; zoom: number }, p: { x: number; y: number }) => ({
  x: p.x * v.zoom + v.x,
  y: p.y * v.zoom + v.y,
});

describe('fitting the graph into its visible area', () => {
  it('fits a small graph inside the pane that is left beside the object panel', () => {
    const layout = { sections: [section(0, 0, 900, 200)] };
    const wide = fitViewport(layout, { width: 1400, height: 900 });
    const narrow = fitViewport(layout, { width: 700, height: 900 });
    expect(wide?.zoom).toBe(1);
    expect(narrow?.zoom).toBeLessThan(1);
    for (const v of [wide, narrow]) {
      const pane = v === wide ? 1400 : 700;
      expect(onScreen(v!, { x: 0, y: 0 }).x).toBeGreaterThanOrEqual(0);
      expect(onScreen(v!, { x: 900, y: 200 }).x).toBeLessThanOrEqual(pane);
    }
  });

  it('starts a large graph at its first section with the top (the cluster header) in view', () => {
    const layout = { sections: [section(0, 40, 2600, 500), section(2700, 40, 2600, 500)] };
    const v = fitViewport(layout, { width: 1200, height: 900 });
    expect(v?.zoom).toBeGreaterThanOrEqual(0.45);
    const topLeft = onScreen(v!, { x: 0, y: 40 });
    expect(topLeft.x).toBeGreaterThan(0);
    expect(topLeft.y).toBeGreaterThan(0);
    expect(topLeft.y).toBeLessThan(60);
  });

  it('has nothing to fit without sections or a pane', () => {
    expect(fitViewport({ sections: [] }, { width: 800, height: 600 })).toBeUndefined();
    expect(fitViewport({ sections: [section(0, 0, 10, 10)] }, { width: 0, height: 0 })).toBeUndefined();
  });
});
