/** The application shell: a sidebar for clusters and a main area for the graph. */
export function App(): React.JSX.Element {
  return (
    <div
      style={{
        display: 'flex',
        height: '100vh',
        fontFamily: 'system-ui, sans-serif',
        background: '#0f1419',
        color: '#e6e6e6',
      }}
    >
      <aside style={{ width: 260, borderRight: '1px solid #2a323c', padding: 16 }}>
        <h1 style={{ fontSize: 18, margin: 0 }}>Fluxdeck</h1>
        <p style={{ color: '#8b98a5', fontSize: 13 }}>Clusters</p>
      </aside>
      <main style={{ flex: 1, display: 'grid', placeItems: 'center', color: '#8b98a5' }}>
        Connect a cluster to see its GitOps graph.
      </main>
    </div>
  );
}
