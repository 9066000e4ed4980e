/** Search, status filter, scope and view toggles above the graph. `/` focuses the search, Esc clears it. */
import { useEffect, useRef } from 'react';

import {
  requestFit,
  setAllCollapsed,
  setPaletteOpen,
  setSearch,
  setShowAllKinds,
  setStatusFilter,
} from '../../store/actions.ts';
import { useAppStore } from '../../store/index.ts';
import type { StatusFilter } from '../../store/slices/ui.ts';
import { Segmented } from '../../ui/Segmented.tsx';
import { ViewTabs } from './ViewTabs.tsx';

const FILTERS: { id: StatusFilter; label: string }[] = [
  { id: 'all', label: 'All' },
  { id: 'failing', label: 'Failing' },
  { id: 'not-ready', label: 'Not ready' },
  { id: 'suspended', label: 'Suspended' },
];

export function Toolbar(): React.JSX.Element {
  const search = useAppStore((s) => s.search);
  const filter = useAppStore((s) => s.statusFilter);
  const scope = useAppStore((s) => s.scope);
  const showAllKinds = useAppStore((s) => s.showAllKinds);
  const focusRequest = useAppStore((s) => s.searchFocusRequest);
  const anyCollapsed = useAppStore((s) => Object.keys(s.collapsed).length > 0);
  const input = useRef<HTMLInputElement>(null);
  const graph = useAppStore((s) => s.view === 'graph');

  useEffect(() => {
    if (focusRequest > 0) {
      input.current?.focus();
      input.current?.select();
    }
  }, [focusRequest]);

  if (!graph)
    return (
      <div className="toolbar">
        <ViewTabs />
        <div className="toolbar__spacer" />
        <button type="button" className="btn btn--ghost" onClick={() => setPaletteOpen(true)} title="Command palette">
          Commands <kbd>Ctrl K</kbd>
        </button>
      </div>
    );
  return (
    <div className="toolbar">
      <ViewTabs />
      <div className="search">
        <span className="search__icon" aria-hidden>
          ⌕
        </span>
        <input
          ref={input}
          type="search"
          placeholder="Filter: name, kind:Deployment, ns:apps, cluster:prod"
          value={search}
          spellCheck={false}
          aria-label="Filter the graph"
          data-testid="search"
          onChange={(e) => setSearch(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Escape') {
              setSearch('');
              input.current?.blur();
            }
          }}
        />
        <kbd className="search__key">/</kbd>
      </div>
      <Segmented label="Status filter" options={FILTERS} value={filter} onChange={setStatusFilter} />
      {scope !== 'all' && (
        <span
          className="scope-chip"
          title="Only this cluster is shown; pick All connected clusters in the sidebar to see every one"
        >
          {scope}
        </span>
      )}
      <div className="toolbar__spacer" />
      <label className="toggle" title="Show ConfigMaps, Services and every other inventory kind as nodes">
        <input type="checkbox" checked={showAllKinds} onChange={(e) => setShowAllKinds(e.target.checked)} /> All kinds
      </label>
      <button type="button" className="btn btn--ghost" onClick={() => setAllCollapsed(!anyCollapsed)}>
        {anyCollapsed ? 'Expand all' : 'Collapse all'}
      </button>
      <button type="button" className="btn btn--ghost" onClick={requestFit} title="Fit the graph (F)">
        Fit
      </button>
      <button type="button" className="btn btn--ghost" onClick={() => setPaletteOpen(true)} title="Command palette">
        Commands <kbd>Ctrl K</kbd>
      </button>
    </div>
  );
}
