/**
 * Store failures made observable: an option callback and the `node:diagnostics_channel` channel
 * `routing-controllers-jwt:store`. A failure carries the operation and the error's name and message only: never a
 * token, a key or a command's arguments (a client's error object may hold the command it failed on).
 */
import { channel } from 'node:diagnostics_channel';

/** The store operations a failure can come from. */
export type StoreOperation = 'revoke' | 'isRevoked' | 'use' | 'release' | 'retire' | 'confirm' | 'selfCheck';

/** What is reported about one store failure. */
export interface StoreFailure {
  readonly operation: StoreOperation;
  /** The error's name, e.g. `ReplyError`, `MaxRetriesPerRequestError`. */
  readonly name: string;
  readonly message: string;
}

/**
 * The diagnostics channel store failures are published on (a `StoreFailure` per failure).
 *
 * @example
 * ```ts
 * import { subscribe } from 'node:diagnostics_channel';
 * subscribe(STORE_CHANNEL, (failure) => logger.warn({ storeFailure: failure }, 'revocation store failed'));
 * ```
 */
export const STORE_CHANNEL = 'routing-controllers-jwt:store';

const storeChannel = channel(STORE_CHANNEL);

/** Reports `error` (to `onError` and the channel) and answers the error to rethrow: a plain one, without arguments. */
export function reportStoreFailure(operation: StoreOperation, error: unknown, onError?: (failure: StoreFailure) => void): Error {
  const cause = error instanceof Error ? error : new Error(String(error));
  const failure: StoreFailure = Object.freeze({ operation, name: cause.name, message: cause.message });
  if (storeChannel.hasSubscribers) storeChannel.publish(failure);
  try {
    onError?.(failure);
  } catch {
    // An observer that throws must not change the answer (fail closed stays a 503).
  }
  const plain = new Error(cause.message);
  plain.name = cause.name;
  return plain;
}
