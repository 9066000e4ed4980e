/**
 * The fleet's images: for each image, which tag or digest runs in which cluster, namespace and workload (every
 * Deployment, StatefulSet, DaemonSet and CronJob of the connected clusters), which ImagePolicy wants which tag, and
 * where the two differ (highlighted). Main joins it from its watch caches (main/workbench/fleet-images.ts).
 */
import type { FleetImage } from '../../../main/contract/index.ts';
import { fire, focusNode, setView } from '../../store/actions.ts';
import { nodeIdOf } from '../../store/ids.ts';
import { loadFleet, setFleetFilter } from '../../store/image-actions.ts';
import { useAppStore } from '../../store/index.ts';
import { plural } from '../../ui/format.ts';
import { visibleFleetImages } from './fleet-filter.ts';

const shortDigest = (d: string): string => `${d.slice(0, 19)}…`;

function openPolicy(cluster: string, namespace: string, name: string): void {
  setView('graph');
  focusNode(nodeIdOf({ cluster, group: 'image.toolkit.fluxcd.io', kind: 'ImagePolicy', namespace, name }));
}

function ImageCard(props: { image: FleetImage }): React.JSX.Element {
  const i = props.image;
  return (
    <section
      className={`fleet-image${i.differs ? ' is-differing' : ''}`}
      data-testid="fleet-image"
      data-image={i.image}
      data-differs={i.differs}
    >
      <header className="fleet-image__head">
        <code className="fleet-image__name">{i.image}</code>
        {i.differs && <span className="pill pill--warn">differs from policy</span>}
        <span className="muted">
          {plural(i.runs.length, 'container')} · {i.wants.length} polic{i.wants.length === 1 ? 'y' : 'ies'}
        </span>
      </header>
      {i.wants.length > 0 && (
        <div className="fleet-wants">
          <span className="muted">wanted:</span>
          {i.wants.map((w) => (
            <button
              key={`${w.cluster}/${w.namespace}/${w.policy}`}
              type="button"
              className="link"
              data-testid="fleet-want"
              title={`ImagePolicy ${w.namespace}/${w.policy} in ${w.cluster}`}
              onClick={() => openPolicy(w.cluster, w.namespace, w.policy)}
            >
              {w.cluster} {w.namespace}/{w.policy} → <code>{w.tag ?? (w.digest && shortDigest(w.digest))}</code>
            </button>
          ))}
        </div>
      )}
      {i.runs.length > 0 && (
        <table className="fleet-runs">
          <thead>
            <tr>
              <th>Cluster</th>
              <th>Workload</th>
              <th>Container</th>
              <th>Running</th>
            </tr>
          </thead>
          <tbody>
            {i.runs.map((r) => (
              <tr
                key={`${r.cluster}/${r.namespace}/${r.kind}/${r.workload}/${r.container}`}
                className={r.differs ? 'is-differing' : ''}
                data-testid="fleet-run"
                data-differs={r.differs}
              >
                <td>{r.cluster}</td>
                <td>
                  <span className="muted">{r.kind} </span>
                  {r.namespace}/{r.workload}
                </td>
                <td>{r.container}</td>
                <td>
                  <code>{r.tag ?? '—'}</code>
                  {r.digest && (
                    <code className="muted" title={r.digest}>
                      {' '}
                      @{shortDigest(r.digest)}
                    </code>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {i.runs.length === 0 && <p className="muted">Not running in any connected cluster.</p>}
    </section>
  );
}

export function FleetImagesView(): React.JSX.Element {
  const fleet = useAppStore((s) => s.fleet);
  const shown = visibleFleetImages(fleet.images, fleet);
  const differing = fleet.images.filter((i) => i.differs).length;
  return (
    <div className="fleet" data-testid="fleet-images">
      <div className="fleet__bar">
        <div className="search fleet__search">
          <span className="search__icon" aria-hidden>
            ⌕
          </span>
          <input
            type="search"
            placeholder="Filter images, workloads, clusters, policies"
            value={fleet.search}
            spellCheck={false}
            onChange={(e) => setFleetFilter({ search: e.target.value })}
            aria-label="Filter images"
            data-testid="fleet-search"
          />
        </div>
        <label className="toggle">
          <input
            type="checkbox"
            checked={fleet.onlyDiffering}
            onChange={(e) => setFleetFilter({ onlyDiffering: e.target.checked })}
            data-testid="fleet-only-differing"
          />
          only where they differ
        </label>
        <span className="muted" data-testid="fleet-counts">
          {plural(fleet.images.length, 'image')} · {differing} differ{differing === 1 ? 's' : ''} from a policy
        </span>
        <span className="statusbar__spacer" />
        <button type="button" className="btn btn--ghost" onClick={() => fire(loadFleet())}>
          Refresh
        </button>
      </div>
      {fleet.status === 'error' && <p className="error-text">{fleet.error}</p>}
      {fleet.status === 'loading' && <p className="muted">Reading the workloads of every connected cluster…</p>}
      {fleet.status === 'ready' && shown.length === 0 && (
        <p className="muted">
          {fleet.images.length === 0 ? 'No workloads in the connected clusters.' : 'Nothing matches the filter.'}
        </p>
      )}
      <div className="fleet__list">
        {shown.map((i) => (
          <ImageCard key={i.image} image={i} />
        ))}
      </div>
    </div>
  );
}
