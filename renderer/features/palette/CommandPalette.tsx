/** Ctrl/Cmd+K: every command and every object, filtered as you type; arrows move, Enter runs, Esc closes. */
import { useMemo, useState } from 'react';

import { setPaletteOpen } from '../../store/actions.ts';
import { useAppStore } from '../../store/index.ts';
import { VirtualList } from '../../ui/VirtualList.tsx';
import { buildCommands, type PaletteItem, rankCommands } from './commands.ts';

function Palette(): React.JSX.Element {
  const [query, setQuery] = useState('');
  const [active, setActive] = useState(0);
  // Built once when the palette opens: the store can change underneath without the list jumping.
  const items = useMemo(() => buildCommands(useAppStore.getState()), []);
  const ranked = useMemo(() => rankCommands(items, query), [items, query]);
  const run = (item: PaletteItem | undefined): void => {
    if (!item) return;
    setPaletteOpen(false);
    item.run();
  };
  return (
    <div className="overlay overlay--top" onClick={() => setPaletteOpen(false)} role="presentation">
      <div
        className="palette"
        role="dialog"
        aria-label="Command palette"
        onClick={(e) => e.stopPropagation()}
        data-testid="palette"
      >
        <input
          autoFocus
          className="palette__input"
          placeholder="Type a command or an object name…"
          value={query}
          spellCheck={false}
          onChange={(e) => {
            setQuery(e.target.value);
            setActive(0);
          }}
          onKeyDown={(e) => {
            if (e.key === 'ArrowDown') setActive((a) => Math.min(a + 1, ranked.length - 1));
            else if (e.key === 'ArrowUp') setActive((a) => Math.max(a - 1, 0));
            else if (e.key === 'Enter') run(ranked[active]);
            else if (e.key === 'Escape') setPaletteOpen(false);
            else return;
            e.preventDefault();
          }}
        />
        {ranked.length === 0 ? (
          <p className="palette__empty">No command or object matches.</p>
        ) : (
          <VirtualList
            className="palette__list"
            label="Commands"
            items={ranked}
            rowHeight={32}
            activeIndex={active}
            renderRow={(item, i) => (
              <button
                type="button"
                className={`palette__item${i === active ? ' is-active' : ''}`}
                onMouseMove={() => setActive(i)}
                onClick={() => run(item)}
              >
                <span className="palette__group">{item.group}</span>
                <span className="palette__label">{item.label}</span>
                {item.hint && <span className="palette__hint">{item.hint}</span>}
                {item.keys && <kbd>{item.keys}</kbd>}
              </button>
            )}
          />
        )}
      </div>
    </div>
  );
}

export function CommandPalette(): React.JSX.Element | null {
  const open = useAppStore((s) => s.paletteOpen);
  return open ? <Palette /> : null;
}
