/** Graph, editor, inbox and the fleet's images: the views of the main area, with the editor's unsaved tabs and the unread count. */
import { setView } from '../../store/actions.ts';
import { showFleetImages } from '../../store/image-actions.ts';
import { showInbox } from '../../store/inbox-actions.ts';
import { useAppStore } from '../../store/index.ts';
import type { View } from '../../store/slices/ui.ts';

export function ViewTabs(): React.JSX.Element {
  const view = useAppStore((s) => s.view);
  const unread = useAppStore((s) => s.inboxCounts.unread);
  const unreadErrors = useAppStore((s) => s.inboxCounts.unreadErrors);
  const dirty = useAppStore((s) => s.tabs.filter((t) => t.dirty).length);
  const tab = (id: View, label: string, extra?: React.ReactNode): React.JSX.Element => (
    <button
      type="button"
      role="tab"
      aria-selected={view === id}
      className={`vtab${view === id ? ' is-active' : ''}`}
      onClick={() => (id === 'inbox' ? showInbox() : id === 'images' ? showFleetImages() : setView(id))}
      data-testid={`view-${id}`}
    >
      {label}
      {extra}
    </button>
  );
  return (
    <div className="vtabs" role="tablist" aria-label="View">
      {tab('graph', 'Graph')}
      {tab(
        'editor',
        'Editor',
        dirty > 0 && (
          <span className="vtab__dirty" title={`${dirty} unsaved`}>
            ●
          </span>
        ),
      )}
      {tab(
        'inbox',
        'Inbox',
        unread > 0 && (
          <span
            className={`badge${unreadErrors > 0 ? ' badge--error' : ''}`}
            data-testid="inbox-badge"
            title={`${unread} unread (${unreadErrors} errors)`}
          >
            {unread > 99 ? '99+' : unread}
          </span>
        ),
      )}
      {tab('images', 'Images')}
      {tab('notifications', 'Notifications')}
    </div>
  );
}
