/** A long main-side operation's current step: a spinner, what it is doing, and how many steps are behind it. */
export function StepProgress(props: {
  step: { message: string; done: number; total: number } | undefined;
  /** Shown before the first step arrives. */
  starting: string;
  label: string;
  testId: string;
}): React.JSX.Element {
  const p = props.step;
  return (
    <div className="preview__progress" data-testid={props.testId} role="status">
      <span className="spinner" /> {p?.message ?? props.starting}
      {p && p.total > 0 && (
        <progress max={p.total} value={p.done} aria-label={props.label}>
          {p.done}/{p.total}
        </progress>
      )}
    </div>
  );
}
