/**
 * The shape of `window.fluxdeck`, which the preload builds from the channel lists: `fluxdeck.clusters.connect(payload)`
 * resolves to a Result (errors cross contextBridge as values, so no field is lost), and
 * `fluxdeck.graph.onDelta(listener)` returns its unsubscribe function.
 */
import type { DomainOf, EventChannel, MethodOf, RequestChannel } from './channel-names.ts';
import type { EventOf, RequestOf, ResponseOf } from './channels.ts';
import type { Result } from './errors.ts';

type Domain = DomainOf<RequestChannel> | DomainOf<EventChannel>;

export type FluxdeckApi = {
  [D in Domain]: {
    [C in RequestChannel as DomainOf<C> extends D ? MethodOf<C> : never]: (
      payload: RequestOf<C>,
    ) => Promise<Result<ResponseOf<C>>>;
  } & {
    [E in EventChannel as DomainOf<E> extends D ? MethodOf<E> : never]: (
      listener: (payload: EventOf<E>) => void,
    ) => () => void;
  };
};
