/**
 * What the workstation spends (the same numbers as `fluxdeck stats`): memory and event-loop delay of main, and per
 * cluster its queue, API requests per minute and reconcile rates and times per kind. Asked of main when opened and
 * every few seconds while open; nothing is fetched while it is closed.
 */
import { setCostsOpen } from '../../store/actions.ts';
import { useAppStore } from '../../store/index.ts';
import { usePolled } from '../../store/use-polled.ts';
import { Dialog } from '../../ui/Dialog.tsx';
import { formatBytes, formatMillis as millis } from '../../ui/format.ts';

const REFRESH_MS = 3000;

export function CostsPanel(): React.JSX.Element | null {
  const open = useAppStore((s) => s.costsOpen);
  const { data: stats, error } = usePolled('engine:stats', {}, REFRESH_MS, open);
  if (!open) return null;
  return (
    <Dialog label="What Fluxdeck spends" wide testId="costs" onClose={() => setCostsOpen(false)}>
      <h2>What Fluxdeck spends</h2>
      {error && <p className="error-text">Could not read the numbers: {error}</p>}
      {!stats ? (
        <p className="muted">Measuring…</p>
      ) : (
        <>
          <p data-testid="costs-process">
            Memory {formatBytes(stats.process.rssBytes)} (heap {formatBytes(stats.process.heapUsedBytes)}) · event loop
            delay p99 {stats.process.eventLoopLagP99Ms} ms
            {stats.process.eventLoopLagP99Ms > 50 && ' — the window may feel slow; fewer connected clusters help'}
          </p>
          {stats.clusters.length === 0 ? (
            <p className="muted">No cluster is connected: connect one in the sidebar to see what it costs.</p>
          ) : (
            <table className="conditions" data-testid="costs-clusters">
              <thead>
                <tr>
                  <th>Cluster</th>
                  <th title="Waiting to run / running / scheduled for their next interval">Queue</th>
                  <th>API requests / min</th>
                  <th>Kind</th>
                  <th>Reconciles / min</th>
                  <th>Failed / min</th>
                  <th>p50</th>
                  <th>p99</th>
                </tr>
              </thead>
              <tbody>
                {stats.clusters.flatMap((c) => {
                  const queue = c.queue
                    ? `${c.queue.waiting} / ${c.queue.inFlight} / ${c.queue.scheduled}`
                    : 'not reconciling here';
                  const kinds = c.kinds.length > 0 ? c.kinds : [undefined];
                  return kinds.map((k, i) => (
                    <tr key={`${c.context}/${k?.kind ?? ''}`} data-cluster={c.context} data-kind={k?.kind}>
                      <td>{i === 0 ? c.context : ''}</td>
                      <td>{i === 0 ? queue : ''}</td>
                      <td>{i === 0 ? c.requestsPerMinute : ''}</td>
                      {k ? (
                        <>
                          <td>{k.kind}</td>
                          <td>{k.reconcilesPerMinute}</td>
                          <td className={k.failuresPerMinute > 0 ? 'error-text' : undefined}>{k.failuresPerMinute}</td>
                          <td>{millis(k.p50Ms)}</td>
                          <td>{millis(k.p99Ms)}</td>
                        </>
                      ) : (
                        <td colSpan={5} className="muted">
                          no reconcile yet
                        </td>
                      )}
                    </tr>
                  ));
                })}
              </tbody>
            </table>
          )}
          <p className="muted">The same numbers in a terminal: fluxdeck stats --watch</p>
        </>
      )}
    </Dialog>
  );
}
