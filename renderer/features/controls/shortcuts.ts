/**
 * Keyboard shortcuts, k9s-style for Flux users (Shift+R reconcile, Shift+T suspend/resume, / filter) plus the
 * command palette on Ctrl/Cmd+K. Keys typed into a text field stay there, except the palette key.
 */
import {
  fire,
  focusSearch,
  reconcile,
  requestFit,
  select,
  setPaletteOpen,
  setPanelTab,
  setSearch,
  setShortcutsOpen,
  toggleCollapsed,
  toggleSuspend,
} from '../../store/actions.ts';
import { useAppStore } from '../../store/index.ts';

export const SHORTCUTS: { keys: string; what: string }[] = [
  { keys: 'Ctrl/⌘ K', what: 'Command palette' },
  { keys: '/', what: 'Filter the graph' },
  { keys: 'Shift R', what: 'Reconcile the selected object' },
  { keys: 'Shift S', what: 'Reconcile it with its source' },
  { keys: 'Shift T', what: 'Suspend or resume it' },
  { keys: 'O  E  Y  D  X  H  I', what: 'Overview, Events, YAML, Diff, Drift, Helm release, image Tags/Commits tab' },
  { keys: 'C', what: 'Fold or unfold its inventory' },
  { keys: 'F', what: 'Fit the graph to the window' },
  { keys: 'Esc', what: 'Close, clear the filter, deselect' },
  { keys: '?', what: 'This list' },
];

function typing(target: EventTarget | null): boolean {
  if (typeof HTMLElement === 'undefined' || !(target instanceof HTMLElement)) return false;
  return target.isContentEditable || target.closest('input, textarea, select, .monaco-editor') !== null;
}

/** Handles one key press; returns true if it was a shortcut (the caller prevents the default). */
export function handleKey(
  e: Pick<KeyboardEvent, 'key' | 'shiftKey' | 'ctrlKey' | 'metaKey' | 'altKey' | 'target'>,
): boolean {
  const s = useAppStore.getState();
  const mod = e.ctrlKey || e.metaKey;
  if (mod && !e.altKey && e.key.toLowerCase() === 'k') {
    setPaletteOpen(!s.paletteOpen);
    return true;
  }
  if (s.paletteOpen || mod || e.altKey || typing(e.target)) return false;
  // The rest act on the graph and its selection.
  if (s.view !== 'graph' && e.key !== '?') return false;
  const sel = s.selected;
  if (e.shiftKey) {
    switch (e.key.toLowerCase()) {
      case 'r':
        if (sel !== undefined) fire(reconcile(sel));
        return true;
      case 's':
        if (sel !== undefined) fire(reconcile(sel, true));
        return true;
      case 't':
        if (sel !== undefined) fire(toggleSuspend(sel));
        return true;
    }
  }
  switch (e.key) {
    case '/':
      focusSearch();
      return true;
    case '?':
      setShortcutsOpen(!s.shortcutsOpen);
      return true;
    case 'Escape':
      if (s.shortcutsOpen) setShortcutsOpen(false);
      else if (sel !== undefined) select(undefined);
      else if (s.search !== '') setSearch('');
      else return false;
      return true;
    case 'f':
      requestFit();
      return true;
    case 'c':
      if (sel !== undefined) toggleCollapsed(sel);
      return sel !== undefined;
  }
  const tab = ({ o: 'overview', e: 'events', y: 'yaml', d: 'diff', x: 'drift', h: 'release', i: 'image' } as const)[
    e.key
  ];
  if (tab && sel !== undefined) {
    setPanelTab(tab);
    return true;
  }
  return false;
}

export function installShortcuts(target: Window): () => void {
  const onKey = (e: KeyboardEvent): void => {
    if (handleKey(e)) e.preventDefault();
  };
  target.addEventListener('keydown', onKey);
  return () => target.removeEventListener('keydown', onKey);
}
