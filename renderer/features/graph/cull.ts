/**
 * Which cluster sections a view shows. React Flow culls nodes and edges to the view itself, but it does so by
 * testing every node and every edge on every frame of a pan (10,000 of each in a 5-cluster fleet); handing it only
 * the clusters in view cuts that work to the section(s) the user is looking at.
 */
import type { ClusterSection } from './layout-model.ts';

/**
 * The clusters whose sections intersect the view, widened by `margin` screen pixels so a section is handed over
 * before it scrolls in. All of them while the pane has no size yet.
 */
export function clustersInView(
  sections: readonly ClusterSection[],
  transform: readonly [number, number, number],
  pane: { width: number; height: number },
  margin: number,
): string[] {
  const [tx, ty, zoom] = transform;
  if (pane.width === 0 || pane.height === 0 || zoom <= 0) return sections.map((s) => s.cluster);
  const left = (-margin - tx) / zoom;
  const top = (-margin - ty) / zoom;
  const right = (pane.width + margin - tx) / zoom;
  const bottom = (pane.height + margin - ty) / zoom;
  return sections
    .filter((s) => s.x < right && s.x + s.width > left && s.y < bottom && s.y + s.height > top)
    .map((s) => s.cluster);
}
