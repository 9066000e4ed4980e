/** Results and errors of actions: successes fade, errors stay until dismissed and say what to do next. */
import { dismissNotice } from '../../store/actions.ts';
import { useAppStore } from '../../store/index.ts';

export function Notices(): React.JSX.Element {
  const notices = useAppStore((s) => s.notices);
  return (
    <div className="notices" aria-live="polite" data-testid="notices">
      {notices.map((n) => (
        <div key={n.id} className={`notice notice--${n.tone}`} role={n.tone === 'error' ? 'alert' : 'status'}>
          <div className="notice__title">{n.title}</div>
          {n.message && <div className="notice__message">{n.message}</div>}
          {n.hint && <div className="notice__hint">{n.hint}</div>}
          <button
            type="button"
            className="icon-btn notice__close"
            aria-label="Dismiss"
            onClick={() => dismissNotice(n.id)}
          >
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
