/** A modal dialog over a dimmed overlay: a click outside it (on the overlay) closes it. */
export function Dialog(props: {
  label: string;
  onClose: () => void;
  wide?: boolean;
  testId?: string;
  children: React.ReactNode;
}): React.JSX.Element {
  return (
    <div className="overlay" role="presentation" onClick={props.onClose}>
      <div
        className={`dialog${props.wide ? ' dialog--wide' : ''}`}
        role="dialog"
        aria-label={props.label}
        data-testid={props.testId}
        onClick={(e) => e.stopPropagation()}
      >
        {props.children}
      </div>
    </div>
  );
}
