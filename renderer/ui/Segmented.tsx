/** A row of mutually exclusive buttons (a radio group styled as one control), for filters. */
export interface SegmentedOption<T extends string> {
  id: T;
  label: string;
  title?: string;
  /** Shown but not choosable (its title says why). */
  disabled?: boolean;
}

export function Segmented<T extends string>({
  label,
  options,
  value,
  onChange,
  testIdPrefix,
}: {
  /** The group's accessible name. */
  label: string;
  options: readonly SegmentedOption<T>[];
  value: T;
  onChange: (id: T) => void;
  /** When given, each button gets `data-testid="<prefix><id>"`. */
  testIdPrefix?: string;
}) {
  return (
    <div className="segmented" role="radiogroup" aria-label={label}>
      {options.map((o) => (
        <button
          key={o.id}
          type="button"
          role="radio"
          title={o.title}
          aria-checked={value === o.id}
          disabled={o.disabled}
          className={value === o.id ? 'is-active' : ''}
          onClick={() => onChange(o.id)}
          {...(testIdPrefix !== undefined ? { 'data-testid': `${testIdPrefix}${o.id}` } : {})}
        >
          {o.label}
        </button>
      ))}
    </div>
  );
}
