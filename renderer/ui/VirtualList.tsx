/**
 * A fixed-row-height virtual list: only the rows in view (plus a small overscan) are in the DOM, so inventories and
 * palette results with thousands of entries scroll as smoothly as ten.
 */
import { type ReactNode, useCallback, useLayoutEffect, useRef, useState } from 'react';

export interface VirtualListProps<T> {
  items: readonly T[];
  rowHeight: number;
  renderRow(item: T, index: number): ReactNode;
  /** Keeps this row in view (keyboard navigation). */
  activeIndex?: number;
  className?: string;
  overscan?: number;
  /** Accessible name of the list. */
  label?: string;
}

export function VirtualList<T>(props: VirtualListProps<T>): React.JSX.Element {
  const { items, rowHeight, activeIndex, overscan = 6 } = props;
  const ref = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(400);

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setHeight(el.clientHeight));
    ro.observe(el);
    setHeight(el.clientHeight);
    return () => ro.disconnect();
  }, []);

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el || activeIndex === undefined || activeIndex < 0) return;
    const top = activeIndex * rowHeight;
    if (top < el.scrollTop) el.scrollTop = top;
    else if (top + rowHeight > el.scrollTop + el.clientHeight) el.scrollTop = top + rowHeight - el.clientHeight;
  }, [activeIndex, rowHeight]);

  const onScroll = useCallback(() => setScrollTop(ref.current?.scrollTop ?? 0), []);
  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const last = Math.min(items.length, Math.ceil((scrollTop + height) / rowHeight) + overscan);
  const rows: ReactNode[] = [];
  for (let i = first; i < last; i++) {
    rows.push(
      <div key={i} className="vlist__row" style={{ top: i * rowHeight, height: rowHeight }}>
        {props.renderRow(items[i] as T, i)}
      </div>,
    );
  }
  return (
    <div
      ref={ref}
      className={`vlist ${props.className ?? ''}`}
      onScroll={onScroll}
      role="list"
      aria-label={props.label}
    >
      <div className="vlist__spacer" style={{ height: items.length * rowHeight }}>
        {rows}
      </div>
    </div>
  );
}
