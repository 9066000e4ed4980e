import type { FleetImage } from '../../../main/contract/index.ts';
import type { FleetState } from '../../store/slices/images.ts';

/**
 * The images the view lists: those whose name, a workload, a namespace, a cluster or a policy matches every word of
 * the search, and with `onlyDiffering` only those where some run differs from what a policy wants.
 */
export function visibleFleetImages(
  images: readonly FleetImage[],
  filter: Pick<FleetState, 'onlyDiffering' | 'search'>,
): FleetImage[] {
  const words = filter.search.toLowerCase().split(/\s+/).filter(Boolean);
  return images.filter((i) => {
    if (filter.onlyDiffering && !i.differs) return false;
    if (words.length === 0) return true;
    const hay = [
      i.image,
      ...i.runs.map((r) => `${r.cluster} ${r.namespace}/${r.workload} ${r.tag ?? ''}`),
      ...i.wants.map((w) => `${w.cluster} ${w.namespace}/${w.policy} ${w.tag ?? ''}`),
    ]
      .join(' ')
      .toLowerCase();
    return words.every((w) => hay.includes(w));
  });
}
