/**
 * A fingerprint of a configuration's raw values: two managers built from the same values (in whatever container,
 * app or scope) get the same fingerprint, and so share one runtime (keys, verifier, cache, remote keys and
 * revocation store). Secrets are hashed, never kept as text; objects without a value semantics (a revocation store)
 * count by identity.
 */
import { createHash, type Hash } from 'node:crypto';
import { AuthType } from '../keys/algorithms';
import { isKeyObject } from '../keys/key-material';
import type { RawConfig } from './sources';

const objectIds = new WeakMap<object, number>();
let nextObjectId = 1;

function identityOf(value: object): number {
  let id = objectIds.get(value);
  if (id === undefined) {
    id = nextObjectId++;
    objectIds.set(value, id);
  }
  return id;
}

function isPlainData(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return Array.isArray(value) || proto === Object.prototype || proto === null;
}

/** Feeds one value into the hash, tagged by kind so that `"1"` and `1` differ. */
function feed(hash: Hash, value: unknown): void {
  if (typeof value === 'string') {
    hash.update(`s${Buffer.byteLength(value)}:`).update(value);
  } else if (typeof value === 'number' || typeof value === 'boolean') {
    hash.update(`${typeof value}:${String(value)};`);
  } else if (Buffer.isBuffer(value)) {
    hash.update(`b${value.length}:`).update(value);
  } else if (isKeyObject(value)) {
    const bytes = value.type === 'secret' ? value.export() : value.export({ type: value.type === 'private' ? 'pkcs8' : 'spki', format: 'der' });
    hash.update(`k${value.type}${bytes.length}:`).update(bytes);
  } else if (value instanceof URL) {
    feed(hash, value.href);
  } else if (value instanceof AuthType) {
    feed(hash, value.name);
  } else if (typeof value === 'object' && value !== null && isPlainData(value)) {
    const entries = Array.isArray(value) ? value.map((item, i) => [String(i), item] as const) : Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1));
    hash.update(`${Array.isArray(value) ? 'a' : 'o'}${entries.length}{`);
    for (const [key, item] of entries) {
      feed(hash, key);
      feed(hash, item);
    }
    hash.update('}');
  } else if ((typeof value === 'object' || typeof value === 'function') && value !== null) {
    // Any other object (a revocation store, a client) is itself.
    hash.update(`i${identityOf(value)};`);
  } else {
    hash.update('u;');
  }
}

/** The fingerprint of `raw` together with the defaults it was resolved with. */
export function fingerprintOf(raw: RawConfig, defaults: object): string {
  const hash = createHash('sha256');
  feed(hash, { ...raw, '#defaults': { ...defaults } });
  return hash.digest('base64url');
}
