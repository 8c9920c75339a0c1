/**
 * Password hashing with scrypt (RFC 7914) and a random salt per password; comparison in constant time. Only the
 * salt and the derived key are ever kept.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/** A stored password: never the password itself. */
export interface PasswordHash {
  readonly salt: Buffer;
  readonly key: Buffer;
}

const KEY_LENGTH = 64;
const SALT_LENGTH = 16;

function derive(password: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** Hashes `password` with a fresh random salt. */
export async function hashPassword(password: string): Promise<PasswordHash> {
  const salt = randomBytes(SALT_LENGTH);
  return { salt, key: await derive(password, salt) };
}

/** True when `password` is the one `hash` was made from; compared in constant time. */
export async function verifyPassword(password: string, hash: PasswordHash): Promise<boolean> {
  const key = await derive(password, hash.salt);
  return timingSafeEqual(key, hash.key);
}
