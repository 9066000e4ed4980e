/**
 * What the command palette offers, built from the store: actions on the selection, clusters, view settings and every
 * object (jump to it). Ranked by a fuzzy subsequence match, so "ks pod" finds "Kustomization flux-system/podinfo".
 */
import {
  actionTarget,
  connectCluster,
  disconnectCluster,
  fire,
  focusNode,
  reconcile,
  requestFit,
  setAllCollapsed,
  setCostsOpen,
  setPanelTab,
  setPaused,
  setScope,
  setShortcutsOpen,
  setShowAllKinds,
  setStatusFilter,
  setView,
  toggleSuspend,
} from '../../store/actions.ts';
import { nodeIdOf } from '../../store/ids.ts';
import { showFleetImages } from '../../store/image-actions.ts';
import { showInbox } from '../../store/inbox-actions.ts';
import type { AppState } from '../../store/index.ts';
import { openBootstrap } from '../bootstrap/actions.ts';
import { editObject, openWorkTreeFor, repoOfNode } from '../editor/actions.ts';

export interface PaletteItem {
  id: string;
  group: 'Selection' | 'Clusters' | 'View' | 'Go to';
  label: string;
  hint?: string;
  keys?: string;
  run(): void;
}

function selectionCommands(s: AppState): PaletteItem[] {
  const sel = s.selected;
  const target = actionTarget(sel);
  if (sel === undefined || !target) return [];
  const name = `${target.key.kind} ${target.key.name}`;
  const out: PaletteItem[] = [];
  if (!target.suspended) {
    out.push({
      id: 'reconcile',
      group: 'Selection',
      label: `Reconcile ${name}`,
      keys: '⇧R',
      run: () => fire(reconcile(sel)),
    });
    out.push({
      id: 'reconcile-src',
      group: 'Selection',
      label: `Reconcile ${name} with source`,
      keys: '⇧S',
      run: () => fire(reconcile(sel, true)),
    });
  }
  out.push({
    id: 'suspend',
    group: 'Selection',
    label: `${target.suspended ? 'Resume' : 'Suspend'} ${name}`,
    keys: '⇧T',
    run: () => fire(toggleSuspend(sel)),
  });
  out.push({
    id: 'events',
    group: 'Selection',
    label: `Show events of ${name}`,
    keys: 'E',
    run: () => setPanelTab('events'),
  });
  out.push({
    id: 'yaml',
    group: 'Selection',
    label: `Show YAML of ${name}`,
    keys: 'Y',
    run: () => setPanelTab('yaml'),
  });
  if (target.key.kind === 'Kustomization')
    out.push({
      id: 'diff',
      group: 'Selection',
      label: `Diff ${name} against the cluster`,
      keys: 'D',
      run: () => setPanelTab('diff'),
    });
  if (repoOfNode(sel))
    out.push({
      id: 'edit-git',
      group: 'Selection',
      label: `Edit the Git files of ${name}`,
      run: () => fire(openWorkTreeFor(sel)),
    });
  out.push({
    id: 'edit-object',
    group: 'Selection',
    label: `Edit ${name} in the cluster`,
    run: () => fire(editObject(sel)),
  });
  return out;
}

export function buildCommands(s: AppState): PaletteItem[] {
  const out = selectionCommands(s);
  for (const name of s.clusterOrder) {
    const c = s.clusters[name];
    if (!c) continue;
    if (c.state === 'connected') {
      out.push({ id: `scope:${name}`, group: 'Clusters', label: `Show only ${name}`, run: () => setScope(name) });
      out.push({
        id: `disconnect:${name}`,
        group: 'Clusters',
        label: `Disconnect ${name}`,
        run: () => fire(disconnectCluster(name)),
      });
      out.push({
        id: `bootstrap:${name}`,
        group: 'Clusters',
        label: `Bootstrap ${name} from a Git repository…`,
        run: () => openBootstrap(name),
      });
    } else {
      out.push({
        id: `connect:${name}`,
        group: 'Clusters',
        label: `Connect ${name}`,
        hint: c.server,
        run: () => fire(connectCluster(name)),
      });
    }
  }
  out.push(
    { id: 'scope:all', group: 'View', label: 'Show all connected clusters', run: () => setScope('all') },
    { id: 'filter:failing', group: 'View', label: 'Show failing only', run: () => setStatusFilter('failing') },
    {
      id: 'filter:not-ready',
      group: 'View',
      label: 'Show everything not ready',
      run: () => setStatusFilter('not-ready'),
    },
    { id: 'filter:suspended', group: 'View', label: 'Show suspended', run: () => setStatusFilter('suspended') },
    { id: 'filter:all', group: 'View', label: 'Clear the status filter', run: () => setStatusFilter('all') },
    {
      id: 'kinds',
      group: 'View',
      label: s.showAllKinds ? 'Show workloads only' : 'Show every inventory kind',
      run: () => setShowAllKinds(!s.showAllKinds),
    },
    { id: 'collapse', group: 'View', label: 'Collapse all inventories', run: () => setAllCollapsed(true) },
    { id: 'expand', group: 'View', label: 'Expand all inventories', run: () => setAllCollapsed(false) },
    { id: 'fit', group: 'View', label: 'Fit the graph', keys: 'F', run: requestFit },
    {
      id: 'costs',
      group: 'View',
      label: 'Show what Fluxdeck spends (memory, API requests, reconcile times)',
      run: () => setCostsOpen(true),
    },
    { id: 'view:graph', group: 'View', label: 'Show the graph', run: () => setView('graph') },
    { id: 'view:editor', group: 'View', label: 'Show the editor', run: () => setView('editor') },
    {
      id: 'view:inbox',
      group: 'View',
      label: 'Show the inbox',
      hint: s.inboxCounts.unread > 0 ? `${s.inboxCounts.unread} unread` : undefined,
      run: () => showInbox(),
    },
    {
      id: 'view:images',
      group: 'View',
      label: 'Show the fleet’s images (which tag runs where, what policies want)',
      run: () => showFleetImages(),
    },
    {
      id: 'view:notifications',
      group: 'View',
      label: 'Show notifications (Providers, Alerts, Receivers, deliveries)',
      run: () => setView('notifications'),
    },
    { id: 'shortcuts', group: 'View', label: 'Keyboard shortcuts', keys: '?', run: () => setShortcutsOpen(true) },
  );
  if (s.health)
    out.push({
      id: 'pause',
      group: 'View',
      label: s.health.paused ? 'Resume reconciling on every cluster' : 'Pause reconciling on every cluster',
      run: () => fire(setPaused(!s.health?.paused)),
    });
  for (const o of Object.values(s.objects)) {
    const id = nodeIdOf(o);
    out.push({
      id,
      group: 'Go to',
      label: `${o.kind} ${o.namespace}/${o.name}`,
      hint: o.cluster,
      run: () => focusNode(id),
    });
  }
  for (const w of Object.values(s.workloads)) {
    const id = nodeIdOf(w);
    out.push({
      id,
      group: 'Go to',
      label: `${w.kind} ${w.namespace}/${w.name}`,
      hint: w.cluster,
      run: () => focusNode(id),
    });
  }
  return out;
}

/**
 * Scores `text` against `query`: every query character must appear in order; consecutive runs and matches at word
 * starts score higher. Undefined when it does not match.
 */
export function fuzzyScore(text: string, query: string): number | undefined {
  const t = text.toLowerCase();
  const q = query.toLowerCase().replace(/\s+/g, '');
  if (q === '') return 0;
  let score = 0;
  let ti = 0;
  let run = 0;
  for (const ch of q) {
    const found = t.indexOf(ch, ti);
    if (found < 0) return undefined;
    run = found === ti ? run + 1 : 1;
    const wordStart = found === 0 || /[\s/:.-]/.test(t[found - 1] ?? '');
    score += run * 2 + (wordStart ? 3 : 0) - Math.min(found - ti, 5) * 0.1;
    ti = found + 1;
  }
  return score - t.length * 0.01;
}

export function rankCommands(items: PaletteItem[], query: string, limit = 500): PaletteItem[] {
  if (query.trim() === '') return items.slice(0, limit);
  const scored: { item: PaletteItem; score: number }[] = [];
  for (const item of items) {
    const score = fuzzyScore(`${item.label} ${item.hint ?? ''}`, query);
    if (score !== undefined) scored.push({ item, score });
  }
  return scored
    .sort((a, b) => b.score - a.score)
    .slice(0, limit)
    .map((s) => s.item);
}
