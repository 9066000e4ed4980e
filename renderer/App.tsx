/**
 * The window: clusters on the left; in the middle the graph with the selected object on the right, the editor, the
 * inbox, or the fleet's images. The graph stays mounted while another view shows, so coming back keeps its layout and viewport.
 */
import { ReactFlowProvider } from '@xyflow/react';
import { lazy, Suspense } from 'react';

import { BootstrapWizard } from './features/bootstrap/BootstrapWizard.tsx';
import { ClustersSidebar } from './features/clusters/ClustersSidebar.tsx';
import { CostsPanel } from './features/controls/CostsPanel.tsx';
import { Notices } from './features/controls/Notices.tsx';
import { ShortcutsHelp } from './features/controls/ShortcutsHelp.tsx';
import { StatusBar } from './features/controls/StatusBar.tsx';
import { Toolbar } from './features/controls/Toolbar.tsx';
import { GraphView } from './features/graph/GraphView.tsx';
import { ObjectPanel } from './features/objects/ObjectPanel.tsx';
import { CommandPalette } from './features/palette/CommandPalette.tsx';
import { useAppStore } from './store/index.ts';

function Brand(): React.JSX.Element {
  const overall = useAppStore((s) => s.health?.overall ?? 'idle');
  return (
    <div className="brand">
      <span className={`brand__mark is-${overall}`} aria-hidden />
      <span className="brand__name">Fluxdeck</span>
    </div>
  );
}

// The editor and the inbox load on first use: the first graph is what the window must show fast (bench/ui.ts).
const EditorView = lazy(() => import('./features/editor/EditorView.tsx').then((m) => ({ default: m.EditorView })));
const NotificationsView = lazy(() =>
  import('./features/notifications/NotificationsView.tsx').then((m) => ({ default: m.NotificationsView })),
);
const InboxView = lazy(() => import('./features/inbox/InboxView.tsx').then((m) => ({ default: m.InboxView })));
const FleetImagesView = lazy(() =>
  import('./features/images/FleetImagesView.tsx').then((m) => ({ default: m.FleetImagesView })),
);

function Loading(): React.JSX.Element {
  return (
    <p className="muted editor__empty">
      <span className="spinner" /> Loading…
    </p>
  );
}

/**
 * The three views. A view that is not shown stays laid out at its size, only invisible (not display:none): React
 * Flow and Monaco keep their measurements, so the graph's edges, layout and viewport, and the editor's models and
 * scroll positions, are as they were when the user comes back.
 */
function Views(): React.JSX.Element {
  const view = useAppStore((s) => s.view);
  // The editor mounts on first use (Monaco is large) and then stays, keeping its models and undo history.
  const editorUsed = useAppStore((s) => s.view === 'editor' || s.tabs.length > 0 || s.openingRepo !== undefined);
  const cls = (shown: boolean): string => `app__work${shown ? '' : ' is-hidden'}`;
  return (
    <div className="app__views">
      <div className={cls(view === 'graph')} aria-hidden={view !== 'graph'}>
        <GraphView />
        <ObjectPanel />
      </div>
      {editorUsed && (
        <div className={cls(view === 'editor')} aria-hidden={view !== 'editor'}>
          <Suspense fallback={<Loading />}>
            <EditorView />
          </Suspense>
        </div>
      )}
      {view === 'notifications' && (
        <div className={cls(true)}>
          <Suspense fallback={<Loading />}>
            <NotificationsView />
          </Suspense>
        </div>
      )}
      {view === 'inbox' && (
        <div className={cls(true)}>
          <Suspense fallback={<Loading />}>
            <InboxView />
          </Suspense>
        </div>
      )}
      {view === 'images' && (
        <div className={cls(true)}>
          <Suspense fallback={<Loading />}>
            <FleetImagesView />
          </Suspense>
        </div>
      )}
    </div>
  );
}

export function App(): React.JSX.Element {
  return (
    <ReactFlowProvider>
      <div className="app">
        <div className="app__side">
          <Brand />
          <ClustersSidebar />
        </div>
        <main className="app__main">
          <Toolbar />
          <Views />
        </main>
        <StatusBar />
      </div>
      <CommandPalette />
      <ShortcutsHelp />
      <CostsPanel />
      <BootstrapWizard />
      <Notices />
    </ReactFlowProvider>
  );
}
