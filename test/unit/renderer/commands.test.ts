import { beforeEach, describe, expect, it, vi } from 'vitest';

import { handleKey } from '../../../renderer/features/controls/shortcuts.ts';
import { buildCommands, fuzzyScore, rankCommands } from '../../../renderer/features/palette/commands.ts';
import * as actions from '../../../renderer/store/actions.ts';
import { nodeIdOf } from '../../../renderer/store/ids.ts';
import { initialState, useAppStore } from '../../../renderer/store/index.ts';
import { clusterInfo } from '../../support/memory-engine.ts';
import { byUid, fluxObject } from './fixtures.ts';

const key = (k: string, mods: { shift?: boolean; ctrl?: boolean } = {}) => ({
  key: k,
  shiftKey: mods.shift ?? false,
  ctrlKey: mods.ctrl ?? false,
  metaKey: false,
  altKey: false,
  target: null,
});

describe('fuzzy matching in the palette', () => {
  it('needs every query character in order', () => {
    expect(fuzzyScore('Kustomization flux-system/podinfo', 'kspod')).toBeDefined();
    expect(fuzzyScore('Kustomization flux-system/podinfo', 'podks')).toBeUndefined();
  });

  it('ranks word starts and runs above scattered matches', () => {
    const items = [
      'Connect prod-eu',
      'Reconcile Kustomization podinfo',
      'Kustomization flux-system/apps-podinfo-extra',
    ].map((label, i) => ({
      id: String(i),
      group: 'View' as const,
      label,
      run: () => undefined,
    }));
    expect(rankCommands(items, 'podinfo')[0]?.label).toBe('Reconcile Kustomization podinfo');
    expect(rankCommands(items, 'conn pr')[0]?.label).toBe('Connect prod-eu');
    expect(rankCommands(items, 'zzz')).toEqual([]);
  });
});

describe('commands and shortcuts', () => {
  const apps = fluxObject('Kustomization', 'apps');
  beforeEach(() => {
    useAppStore.setState(initialState, true);
    useAppStore.setState({
      objects: byUid(apps),
      clusters: { prod: clusterInfo('prod', 'connected'), dev: clusterInfo('dev') },
      clusterOrder: ['prod', 'dev'],
    });
  });

  it('offers actions on the selection, cluster connects and every object', () => {
    useAppStore.setState({ selected: nodeIdOf(apps) });
    const labels = buildCommands(useAppStore.getState()).map((c) => c.label);
    expect(labels).toEqual(
      expect.arrayContaining([
        'Reconcile Kustomization apps',
        'Reconcile Kustomization apps with source',
        'Suspend Kustomization apps',
        'Connect dev',
        'Disconnect prod',
        'Kustomization flux-system/apps',
      ]),
    );
  });

  it('offers Resume, not Reconcile, for a suspended object', () => {
    useAppStore.setState({ objects: byUid({ ...apps, suspended: true }), selected: nodeIdOf(apps) });
    const labels = buildCommands(useAppStore.getState()).map((c) => c.label);
    expect(labels).toContain('Resume Kustomization apps');
    expect(labels).not.toContain('Reconcile Kustomization apps');
  });

  it('maps Shift+R, Shift+S and Shift+T to the selected object, like the k9s Flux plugin', () => {
    const reconcile = vi.spyOn(actions, 'reconcile').mockResolvedValue();
    const toggle = vi.spyOn(actions, 'toggleSuspend').mockResolvedValue();
    useAppStore.setState({ selected: nodeIdOf(apps) });
    expect(handleKey(key('R', { shift: true }))).toBe(true);
    expect(handleKey(key('S', { shift: true }))).toBe(true);
    expect(handleKey(key('T', { shift: true }))).toBe(true);
    expect(reconcile.mock.calls).toEqual([[nodeIdOf(apps)], [nodeIdOf(apps), true]]);
    expect(toggle).toHaveBeenCalledWith(nodeIdOf(apps));
    reconcile.mockRestore();
    toggle.mockRestore();
  });

  it('opens the palette with Ctrl+K, and ignores other keys while it is open', () => {
    expect(handleKey(key('k', { ctrl: true }))).toBe(true);
    expect(useAppStore.getState().paletteOpen).toBe(true);
    expect(handleKey(key('/'))).toBe(false);
    expect(handleKey(key('k', { ctrl: true }))).toBe(true);
    expect(useAppStore.getState().paletteOpen).toBe(false);
  });

  it('focuses the search on /, and Esc deselects, then clears the search', () => {
    handleKey(key('/'));
    expect(useAppStore.getState().searchFocusRequest).toBe(1);
    useAppStore.setState({ selected: nodeIdOf(apps), search: 'apps' });
    handleKey(key('Escape'));
    expect(useAppStore.getState().selected).toBeUndefined();
    handleKey(key('Escape'));
    expect(useAppStore.getState().search).toBe('');
  });
});
