/**
 * Connects the transport to the store, once, outside React (style guide practice 19). It subscribes to every pushed
 * stream before asking for the snapshot and holds graph deltas back until the snapshot is applied, so nothing that
 * happens in between is lost; the resourceVersion guard makes replaying a delta the snapshot already contains
 * harmless. After a reconnect it resyncs the same way. The renderer never polls: it asks once and then listens.
 */
import type { AppCommand, GraphDelta } from '../../main/contract/index.ts';
import { onBootstrapProgress } from '../features/bootstrap/actions.ts';
import type { Transport } from '../transport/transport.ts';
import {
  describeFailure,
  fire,
  focusSearch,
  loadDetail,
  onProgress,
  reconcile,
  requestFit,
  setPaletteOpen,
  setShortcutsOpen,
  setTransport,
  toggleSuspend,
} from './actions.ts';
import { applyArtifactProgress, applyPreviewProgress } from './editor-reducers.ts';
import { loadHelmView } from './helm-actions.ts';
import { identityOf } from './ids.ts';
import { loadInboxState, onInboxDelta, showInbox } from './inbox-actions.ts';
import { useAppStore } from './index.ts';
import { applyClusters, applyDelta, applySnapshot, dropCluster, orderClusters } from './reducers.ts';

export function runCommand(command: AppCommand['command'], itemIds?: readonly number[]): void {
  const { selected } = useAppStore.getState();
  switch (command) {
    case 'inbox':
      return showInbox(itemIds);
    case 'palette':
      return setPaletteOpen(true);
    case 'search':
      return focusSearch();
    case 'fit':
      return requestFit();
    case 'shortcuts':
      return setShortcutsOpen(true);
    case 'reconcile':
      if (selected !== undefined) fire(reconcile(selected));
      return;
    case 'suspend-toggle':
      if (selected !== undefined) fire(toggleSuspend(selected));
      return;
  }
}

/** True if the delta touches the object shown in the panel (its YAML and events are then refetched). */
function touchesSelected(delta: GraphDelta, selected: string | undefined): boolean {
  const id = selected === undefined ? undefined : identityOf(selected);
  if (!id) return false;
  const same = (o: { cluster: string; kind: string; namespace: string; name: string }): boolean =>
    o.cluster === id.cluster && o.kind === id.kind && o.namespace === id.namespace && o.name === id.name;
  return delta.objects.some(same) || delta.workloads.some(same);
}

export function startBridge(transport: Transport, opts: { detailRefreshMs?: number } = {}): () => void {
  const store = useAppStore;
  setTransport(transport);
  let held: GraphDelta[] | undefined = [];
  let generation = 0;
  let detailTimer: ReturnType<typeof setTimeout> | undefined;

  const refreshDetailSoon = (): void => {
    if (detailTimer !== undefined) return;
    detailTimer = setTimeout(() => {
      detailTimer = undefined;
      const { selected } = store.getState();
      if (selected !== undefined) fire(loadDetail(selected, true));
      // The release view follows the HelmRelease's status (a new revision, test results) once it was shown.
      if (selected !== undefined && store.getState().helmView?.nodeId === selected) fire(loadHelmView(selected, true));
    }, opts.detailRefreshMs ?? 300);
  };

  const applyGraph = (delta: GraphDelta): void => {
    if (held) {
      held.push(delta);
      return;
    }
    store.setState((s) => applyDelta(s, delta));
    if (touchesSelected(delta, store.getState().selected)) refreshDetailSoon();
  };

  const resync = async (): Promise<void> => {
    const mine = ++generation;
    held = [];
    try {
      const [capabilities, clusters, snapshot, health] = await Promise.all([
        transport.invoke('app:capabilities', {}),
        transport.invoke('clusters:list', {}),
        transport.invoke('graph:snapshot', {}),
        transport.invoke('app:health', {}),
      ]);
      if (mine !== generation) return;
      performance.mark('fluxdeck:snapshot', { detail: { objects: snapshot.objects.length } });
      const pending = held;
      held = undefined;
      store.setState((s) => {
        const map = applyClusters({}, clusters);
        let graph = applySnapshot(s, snapshot);
        for (const d of pending) graph = applyDelta(graph, d);
        return {
          ...graph,
          capabilities,
          health,
          clusters: map,
          clusterOrder: orderClusters(map),
          synced: true,
          fatal: undefined,
        };
      });
    } catch (err) {
      if (mine !== generation) return;
      held = undefined;
      store.setState({ fatal: `Could not load the initial state: ${describeFailure(err).message}` });
    }
  };

  const offs = [
    transport.subscribe('graph:onDelta', applyGraph),
    transport.subscribe('clusters:onChanged', (infos) =>
      store.setState((s) => {
        const clusters = applyClusters(s.clusters, infos);
        let graph = { objects: s.objects, workloads: s.workloads };
        for (const info of infos) if (info.state === 'disconnected') graph = dropCluster(graph, info.name);
        return { ...graph, clusters, clusterOrder: orderClusters(clusters) };
      }),
    ),
    transport.subscribe('actions:onProgress', onProgress),
    transport.subscribe('app:onHealth', (health) => store.setState({ health })),
    transport.subscribe('app:onCommand', ({ command, itemIds }) => runCommand(command, itemIds)),
    transport.subscribe('inbox:onChanged', onInboxDelta),
    transport.subscribe('workspace:onPreviewProgress', (p) =>
      store.setState((s) => ({ review: applyPreviewProgress(s.review, p) })),
    ),
    transport.subscribe('workspace:onArtifactProgress', (p) =>
      store.setState((s) => ({ artifactPush: applyArtifactProgress(s.artifactPush, p) })),
    ),
    transport.subscribe('bootstrap:onProgress', onBootstrapProgress),
    transport.onStatus((connection) => {
      store.setState({ connection });
      if (connection === 'open') {
        fire(resync());
        fire(loadInboxState());
      }
    }),
  ];

  return () => {
    for (const off of offs) off();
    if (detailTimer !== undefined) clearTimeout(detailTimer);
    setTransport(undefined);
  };
}
