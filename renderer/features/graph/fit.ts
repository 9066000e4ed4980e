/** Where "fit" puts the view: pure, from the layout's cluster sections and the size of the graph's visible area. */
import type { Viewport } from '@xyflow/react';

import type { Layout } from './layout-model.ts';

/** Below this zoom names are unreadable, so "fit" shows the top-left of the graph at a readable zoom instead. */
const READABLE_ZOOM = 0.45;
/** The zoom a large graph starts at when its whole height does not fit either. */
const OVERVIEW_ZOOM = 0.8;
/** Room kept around the graph, in screen pixels, so sections' borders and headers are not flush with the edges. */
const MARGIN = 24;

/**
 * Fits the graph into the pane (the graph's visible area: the object panel takes its own room beside it) when it is
 * small enough to stay readable. A larger graph starts at the top-left corner of the first cluster's section, its
 * header in view, as tall as fits at a readable zoom, so the user sees sources and what they feed; zooming out gives
 * the overview.
 */
export function fitViewport(
  layout: Pick<Layout, 'sections'>,
  pane: { width: number; height: number },
): Viewport | undefined {
  if (layout.sections.length === 0 || pane.width === 0 || pane.height === 0) return undefined;
  const minX = Math.min(...layout.sections.map((s) => s.x));
  const minY = Math.min(...layout.sections.map((s) => s.y));
  const maxX = Math.max(...layout.sections.map((s) => s.x + s.width));
  const maxY = Math.max(...layout.sections.map((s) => s.y + s.height));
  const room = { width: Math.max(1, pane.width - 2 * MARGIN), height: Math.max(1, pane.height - 2 * MARGIN) };
  const zoom = Math.min(room.width / (maxX - minX), room.height / (maxY - minY));
  // The viewport is computed from the layout, not with fitView: React Flow may not have the new nodes yet.
  if (zoom >= READABLE_ZOOM) {
    const z = Math.min(zoom, 1);
    return {
      x: (pane.width - (maxX - minX) * z) / 2 - minX * z,
      y: (pane.height - (maxY - minY) * z) / 2 - minY * z,
      zoom: z,
    };
  }
  const z = Math.max(READABLE_ZOOM, Math.min(OVERVIEW_ZOOM, room.height / (maxY - minY)));
  return { x: MARGIN - minX * z, y: MARGIN - minY * z, zoom: z };
}
