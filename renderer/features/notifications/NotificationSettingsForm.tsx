/**
 * The local notification settings (`<dataDir>/settings.json`): the receiver server (off by default) and which inbox
 * items raise an OS notification, in an Alert's terms. Lists are edited one entry per line; regular expressions are
 * checked here before saving so the error points at the line, and main checks everything again.
 */
import { useState } from 'react';

import type { NotificationSettings, ReceiverServerState } from '../../../main/contract/index.ts';
import { describeFailure, transport } from '../../store/actions.ts';

const lines = (text: string): string[] =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

/** The first pattern that does not compile, with why; undefined when all do. */
export function badPattern(patterns: readonly string[]): string | undefined {
  for (const p of patterns) {
    try {
      new RegExp(p, 'u');
    } catch (err) {
      return `"${p}" is not a valid regular expression: ${(err as Error).message}`;
    }
  }
  return undefined;
}

export function NotificationSettingsForm(props: {
  settings: NotificationSettings;
  receiverServer: ReceiverServerState;
  onSaved: () => void;
}): React.JSX.Element {
  const { settings } = props;
  const [receiverOn, setReceiverOn] = useState(settings.receiver.enabled);
  const [address, setAddress] = useState(settings.receiver.address);
  const [severity, setSeverity] = useState(settings.os.eventSeverity);
  const [kinds, setKinds] = useState(settings.os.kinds.join('\n'));
  const [names, setNames] = useState(settings.os.names.join('\n'));
  const [namespaces, setNamespaces] = useState(settings.os.namespaces.join('\n'));
  const [inclusion, setInclusion] = useState(settings.os.inclusionList.join('\n'));
  const [exclusion, setExclusion] = useState(settings.os.exclusionList.join('\n'));
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string }>();
  const [saving, setSaving] = useState(false);

  const save = (e: React.SyntheticEvent): void => {
    e.preventDefault();
    const bad = badPattern(lines(inclusion)) ?? badPattern(lines(exclusion));
    if (bad) {
      setOutcome({ ok: false, text: `${bad}. Fix it and save again.` });
      return;
    }
    const next: NotificationSettings = {
      receiver: { enabled: receiverOn, address: address.trim() },
      os: {
        eventSeverity: severity,
        kinds: lines(kinds),
        names: lines(names),
        namespaces: lines(namespaces),
        inclusionList: lines(inclusion),
        exclusionList: lines(exclusion),
      },
    };
    setSaving(true);
    transport()
      .invoke('notifications:setSettings', { settings: next })
      .then(
        (r) => {
          setOutcome(
            r.receiverServer.error
              ? { ok: false, text: `Saved, but the receiver server did not start: ${r.receiverServer.error}` }
              : { ok: true, text: 'Saved.' },
          );
          props.onSaved();
        },
        (err: unknown) => setOutcome({ ok: false, text: `Not saved: ${describeFailure(err).message}` }),
      )
      .finally(() => setSaving(false));
  };

  const flag = props.receiverServer.startedBy === 'flag';
  return (
    <form className="notif-settings" data-testid="notification-settings" onSubmit={save}>
      <fieldset>
        <legend>Receiver server</legend>
        <label>
          <input
            type="checkbox"
            checked={receiverOn}
            disabled={flag}
            data-testid="receiver-enabled"
            onChange={(e) => setReceiverOn(e.target.checked)}
          />{' '}
          Serve Receiver webhooks on
        </label>{' '}
        <input
          className="notif-settings__address"
          value={address}
          disabled={flag}
          aria-label="Receiver server address"
          data-testid="receiver-address"
          onChange={(e) => setAddress(e.target.value)}
        />
        <p className="muted">
          {flag
            ? 'Started with --receiver-addr: the flag decides while this process runs.'
            : 'Off by default. Bind to 127.0.0.1 unless a tunnel or proxy forwards the webhooks to this machine.'}
        </p>
      </fieldset>
      <fieldset>
        <legend>Desktop notifications</legend>
        <label>
          Notify on{' '}
          <select
            value={severity}
            data-testid="os-severity"
            onChange={(e) => setSeverity(e.target.value as 'info' | 'error')}
          >
            <option value="error">errors only</option>
            <option value="info">every event</option>
          </select>
        </label>
        <div className="notif-settings__lists">
          <ListField label="Kinds (empty: all)" value={kinds} onChange={setKinds} placeholder="Kustomization" />
          <ListField label="Names (exact or *)" value={names} onChange={setNames} placeholder="*" />
          <ListField label="Namespaces (empty: all)" value={namespaces} onChange={setNamespaces} placeholder="" />
          <ListField
            label="Only messages matching"
            value={inclusion}
            onChange={setInclusion}
            placeholder=".*failed.*"
            testId="os-inclusion"
          />
          <ListField
            label="Never messages matching"
            value={exclusion}
            onChange={setExclusion}
            placeholder="^Dependencies do not meet"
            testId="os-exclusion"
          />
        </div>
      </fieldset>
      <div className="notif-settings__actions">
        <button type="submit" className="btn btn--primary" disabled={saving} data-testid="save-settings">
          {saving ? 'Saving…' : 'Save settings'}
        </button>
        {outcome && (
          <span className={outcome.ok ? 'muted' : 'error-text'} data-testid="settings-outcome" role="status">
            {outcome.text}
          </span>
        )}
      </div>
    </form>
  );
}

function ListField(props: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  placeholder: string;
  testId?: string;
}): React.JSX.Element {
  return (
    <label className="notif-settings__list">
      <span>{props.label}</span>
      <textarea
        rows={3}
        value={props.value}
        placeholder={props.placeholder}
        data-testid={props.testId}
        onChange={(e) => props.onChange(e.target.value)}
      />
    </label>
  );
}
