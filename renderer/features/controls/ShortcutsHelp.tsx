import { setShortcutsOpen } from '../../store/actions.ts';
import { useAppStore } from '../../store/index.ts';
import { SHORTCUTS } from './shortcuts.ts';

export function ShortcutsHelp(): React.JSX.Element | null {
  const open = useAppStore((s) => s.shortcutsOpen);
  if (!open) return null;
  return (
    <div className="overlay" onClick={() => setShortcutsOpen(false)} role="presentation">
      <div className="dialog" role="dialog" aria-label="Keyboard shortcuts" onClick={(e) => e.stopPropagation()}>
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
      </div>
    </div>
  );
}
