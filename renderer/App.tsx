/** The window: clusters on the left, the graph in the middle, the selected object on the right. */
import { ReactFlowProvider } from '@xyflow/react';

import { ClustersSidebar } from './features/clusters/ClustersSidebar.tsx';
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
          <div className="app__work">
            <GraphView />
            <ObjectPanel />
          </div>
        </main>
        <StatusBar />
      </div>
      <CommandPalette />
      <ShortcutsHelp />
      <Notices />
    </ReactFlowProvider>
  );
}
