/**
 * Field-by-field changes of one object: the path, the live value, the desired value, and which field manager set
 * the live value and when. The drift view ("what was changed, by whom, put back") and the preview ("what applying
 * would change") both show them.
 */
import type { DriftedObject, FieldChange } from '../../../main/contract/index.ts';
import { timeAgo } from '../../ui/format.ts';

const show = (v: unknown): string => (v === undefined ? '—' : typeof v === 'string' ? v : JSON.stringify(v));

export function FieldChanges(props: {
  changes: readonly FieldChange[];
  liveLabel: string;
  desiredLabel: string;
}): React.JSX.Element {
  return (
    <table className="fields" data-testid="field-changes">
      <thead>
        <tr>
          <th>Field</th>
          <th>{props.liveLabel}</th>
          <th>{props.desiredLabel}</th>
          <th>Set by</th>
        </tr>
      </thead>
      <tbody>
        {props.changes.map((c) => (
          <tr key={c.path} className={`fields__row is-${c.op}`} data-path={c.path} data-manager={c.manager ?? ''}>
            <td className="fields__path">{c.path}</td>
            <td className="fields__live">{show(c.live)}</td>
            <td className="fields__desired">{show(c.desired)}</td>
            <td className="fields__who" title={c.time}>
              {c.manager ? (
                <>
                  <code>{c.manager}</code>
                  {c.operation && <span className="muted"> {c.operation}</span>}
                  {c.time && <span className="muted"> · {timeAgo(c.time)} ago</span>}
                </>
              ) : (
                <span className="muted">—</span>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The objects a reconcile put back, each with its drifted fields. */
export function DriftTable(props: {
  objects: readonly DriftedObject[];
  onJump?: (object: DriftedObject) => void;
}): React.JSX.Element {
  return (
    <div className="drift" data-testid="drift-table">
      {props.objects.map((o) => (
        <section key={o.subject} className="drift__object" data-subject={o.subject}>
          <header className="drift__head">
            <span className={`drift__action is-${o.action}`}>{o.action === 'created' ? 're-created' : 'put back'}</span>{' '}
            {props.onJump ? (
              <button type="button" className="link" onClick={() => props.onJump?.(o)}>
                {o.subject}
              </button>
            ) : (
              <span>{o.subject}</span>
            )}
          </header>
          {o.changes && o.changes.length > 0 ? (
            <FieldChanges changes={o.changes} liveLabel="Was (live)" desiredLabel="Put back (desired)" />
          ) : (
            <p className="muted">
              {o.action === 'created'
                ? 'It had been deleted; the Kustomization created it again.'
                : 'The fields could not be told apart.'}
            </p>
          )}
        </section>
      ))}
    </div>
  );
}
