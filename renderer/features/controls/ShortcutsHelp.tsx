import { setShortcutsOpen } from '../../store/actions.ts';
import { useAppStore } from '../../store/index.ts';
import { Dialog } from '../../ui/Dialog.tsx';
import { SHORTCUTS } from './shortcuts.ts';

export function ShortcutsHelp(): React.JSX.Element | null {
  const open = useAppStore((s) => s.shortcutsOpen);
  if (!open) return null;
  return (
    <Dialog label="Keyboard shortcuts" onClose={() => setShortcutsOpen(false)}>
      <h2>Keyboard shortcuts</h2>
      <dl className="shortcuts">
        {SHORTCUTS.map((s) => (
          <div key={s.keys} className="shortcut">
            <dt>
              <kbd>{s.keys}</kbd>
            </dt>
            <dd>{s.what}</dd>
          </div>
        ))}
      </dl>
    </Dialog>
  );
}
