/**
 * A request to main asked now and every `ms` while `active`, for views that show numbers main does not push (costs,
 * notification deliveries). Nothing is asked while inactive; an answer that arrives after the view closed is dropped.
 * A failure keeps the last good answer and says what went wrong next to it.
 */
import { useCallback, useEffect, useState } from 'react';

import type { RequestChannel, RequestOf, ResponseOf } from '../../main/contract/index.ts';
import { describeFailure, transport } from './actions.ts';

export interface Polled<T> {
  data?: T;
  error?: string;
  /** Asks again now (after an action whose effect the view should show at once). */
  reload: () => void;
}

export function usePolled<C extends RequestChannel>(
  channel: C,
  payload: RequestOf<C>,
  ms: number,
  active = true,
): Polled<ResponseOf<C>> {
  const [state, setState] = useState<{ data?: ResponseOf<C>; error?: string }>({});
  const [tick, setTick] = useState(0);
  // The payload is compared by value: callers pass object literals.
  const key = JSON.stringify(payload);
  useEffect(() => {
    if (!active) return;
    let live = true;
    const load = (): void => {
      transport()
        .invoke(channel, JSON.parse(key) as RequestOf<C>)
        .then((data) => live && setState({ data }))
        .catch((err: unknown) => live && setState((s) => ({ ...s, error: describeFailure(err).message })));
    };
    load();
    const timer = setInterval(load, ms);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [channel, key, ms, active, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}
