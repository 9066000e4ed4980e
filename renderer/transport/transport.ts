/**
 * The only way the renderer talks to main (style guide practice 19): a request/response `invoke` and a typed
 * `subscribe`, implemented over Electron IPC (window.fluxdeck) or the `fluxdeck serve` WebSocket, chosen once at boot.
 * Components never touch either; the store's bridge and actions do.
 */
import type {
  ErrorCode,
  ErrorEnvelope,
  EventChannel,
  EventOf,
  RequestChannel,
  RequestOf,
  ResponseOf,
  Result,
} from '../../main/contract/index.ts';

export type TransportStatus = 'connecting' | 'open' | 'closed';

export interface Transport {
  readonly kind: 'ipc' | 'ws';
  invoke<C extends RequestChannel>(channel: C, payload: RequestOf<C>): Promise<ResponseOf<C>>;
  subscribe<E extends EventChannel>(channel: E, listener: (payload: EventOf<E>) => void): () => void;
  /** Connection state; after a reconnect the bridge resyncs (snapshot again). Fires the current state at once. */
  onStatus(listener: (status: TransportStatus) => void): () => void;
  close(): void;
}

/** A failed request, rebuilt from the contract's error envelope. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(envelope: ErrorEnvelope) {
    super(envelope.message);
    this.name = 'ApiError';
    this.code = envelope.code;
    this.details = envelope.details;
  }
}

export function unwrap<T>(result: Result<T>): T {
  if (result.ok) return result.value;
  throw new ApiError(result.error);
}
