import { describe, expect, it } from 'vitest';

import { clustersInView } from '../../../renderer/features/graph/cull.ts';

const sections = [
  { cluster: 'prod-eu', x: 0, y: 0, width: 1000, height: 4000 },
  { cluster: 'prod-us', x: 1100, y: 0, width: 1000, height: 4000 },
  { cluster: 'dev', x: 2200, y: 0, width: 1000, height: 4000 },
];
const pane = { width: 800, height: 600 };

describe('the clusters a view shows', () => {
  it('gives only the section under a readable zoom, and its neighbour once the margin reaches it', () => {
    // At zoom 1 the view spans graph x 0..800: prod-eu alone; panned by 400 it spans 400..1200 and reaches prod-us.
    expect(clustersInView(sections, [0, 0, 1], pane, 0)).toEqual(['prod-eu']);
    expect(clustersInView(sections, [-400, 0, 1], pane, 0)).toEqual(['prod-eu', 'prod-us']);
    // Zoomed out to 0.5 the same view spans 0..1600.
    expect(clustersInView(sections, [0, 0, 0.5], pane, 0)).toEqual(['prod-eu', 'prod-us']);
    // Spanning 250..1050 the view ends in the gap before prod-us; a 100 px margin hands prod-us over early.
    expect(clustersInView(sections, [-250, 0, 1], pane, 0)).toEqual(['prod-eu']);
    expect(clustersInView(sections, [-250, 0, 1], pane, 100)).toEqual(['prod-eu', 'prod-us']);
  });

  it('gives every cluster in an overview and none when the view is panned off the graph', () => {
    expect(clustersInView(sections, [0, 0, 0.2], pane, 0)).toEqual(['prod-eu', 'prod-us', 'dev']);
    expect(clustersInView(sections, [0, 5000, 1], pane, 0)).toEqual([]);
  });

  it('gives every cluster before the pane is measured', () => {
    expect(clustersInView(sections, [0, 0, 1], { width: 0, height: 0 }, 0)).toEqual(['prod-eu', 'prod-us', 'dev']);
  });
});
