import '@xyflow/react/dist/base.css';
import './styles.css';

import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

import { App } from './App.tsx';
import { installShortcuts } from './features/controls/shortcuts.ts';
import { prepareLayout } from './features/graph/GraphView.tsx';
import { startBridge } from './store/bridge.ts';
import { selectTransport } from './transport/select.ts';

// The transport is chosen and the bridge started once, outside React; components only read the store.
prepareLayout();
startBridge(selectTransport());
installShortcuts(window);

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
