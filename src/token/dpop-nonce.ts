/**
 * Server-provided DPoP nonces (RFC 9449 §8): a nonce names a time slot and carries an HMAC of it, so that no nonce is
 * stored and every instance sharing the key accepts the others' nonces. A new nonce every `rotation` seconds; the
 * previous slot's stays valid, so a client holding it is not refused at a slot boundary (it gets the new one in the
 * `DPoP-Nonce` header of the answer, §8.2).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Issues and checks nonces for one configuration. */
export interface DpopNonces {
  /** The nonce of the current slot. */
  current(nowSeconds?: number): string;
  /** True for the nonce of the current or the previous slot. */
  accepts(nonce: unknown, nowSeconds?: number): boolean;
}

const SLOT_BYTES = 6;
const MAC_BYTES = 16;
const NONCE_LENGTH = Math.ceil(((SLOT_BYTES + MAC_BYTES) * 4) / 3);

/**
 * Builds the nonces of one configuration.
 *
 * @param key - The HMAC key; random per process when `null` (then only this process accepts its nonces).
 * @param rotation - Seconds a nonce is current.
 * @example
 * ```ts
 * const nonces = createDpopNonces(null, 300);
 * response.setHeader('DPoP-Nonce', nonces.current());
 * ```
 */
export function createDpopNonces(key: Buffer | null, rotation: number): DpopNonces {
  const secret = key ?? randomBytes(32);
  const slotOf = (nowSeconds: number): number => Math.floor(nowSeconds / rotation);
  const nonceOf = (slot: number): Buffer => {
    const slotBytes = Buffer.alloc(SLOT_BYTES);
    slotBytes.writeUIntBE(slot, 0, SLOT_BYTES);
    const mac = createHmac('sha256', secret).update(slotBytes).digest().subarray(0, MAC_BYTES);
    return Buffer.concat([slotBytes, mac]);
  };
  let cached: { slot: number; nonce: string } = { slot: -1, nonce: '' };
  return Object.freeze({
    current(nowSeconds = Date.now() / 1000): string {
      const slot = slotOf(nowSeconds);
      if (cached.slot !== slot) cached = { slot, nonce: nonceOf(slot).toString('base64url') };
      return cached.nonce;
    },
    accepts(nonce: unknown, nowSeconds = Date.now() / 1000): boolean {
      if (typeof nonce !== 'string' || nonce.length !== NONCE_LENGTH) return false;
      const bytes = Buffer.from(nonce, 'base64url');
      // One spelling per nonce: Buffer's decoder ignores the spare bits of the last character.
      if (bytes.length !== SLOT_BYTES + MAC_BYTES || bytes.toString('base64url') !== nonce) return false;
      const slot = bytes.readUIntBE(0, SLOT_BYTES);
      const now = slotOf(nowSeconds);
      if (slot !== now && slot !== now - 1) return false;
      return timingSafeEqual(nonceOf(slot), bytes);
    },
  });
}
