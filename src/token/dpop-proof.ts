/**
 * Checking a DPoP proof (RFC 9449 §4.3): pure, no requests, no store. It takes the proof, the request's method and
 * URL, the access token and the key the token is bound to, and answers the proof key's thumbprint and the `jti` to
 * mark as seen, or why the proof is refused. Replay (the `jti` seen once) and server nonces are the caller's: they
 * need state. An external issuer's verifier can call `checkDpopProof` the same way.
 */
import { constants, createHash, createPublicKey, verify as cryptoVerify, type JsonWebKey, type KeyObject } from 'node:crypto';
import { decodeJsonSegment, splitToken } from './compact';

/** One proof algorithm: its key type and how Node verifies it. Asymmetric only (RFC 9449 §4.2: never `none`, never MAC). */
interface ProofAlgorithm {
  readonly kty: 'EC' | 'RSA' | 'OKP';
  /** The curve an EC or OKP key must be on. */
  readonly crv?: string;
  /** The digest, or `null` for EdDSA (the hash is part of the scheme). */
  readonly hash: string | null;
  /** ECDSA: the size of R || S in bytes (RFC 7518 §3.4). */
  readonly signatureSize?: number;
  readonly pss?: true;
}

/** The algorithms a proof may be signed with: a data table, looked up by the header's exact `alg`. */
export const DPOP_ALGORITHMS: Readonly<Record<string, ProofAlgorithm>> = Object.freeze({
  ES256: { kty: 'EC', crv: 'P-256', hash: 'sha256', signatureSize: 64 },
  ES384: { kty: 'EC', crv: 'P-384', hash: 'sha384', signatureSize: 96 },
  ES512: { kty: 'EC', crv: 'P-521', hash: 'sha512', signatureSize: 132 },
  PS256: { kty: 'RSA', hash: 'sha256', pss: true },
  PS384: { kty: 'RSA', hash: 'sha384', pss: true },
  PS512: { kty: 'RSA', hash: 'sha512', pss: true },
  RS256: { kty: 'RSA', hash: 'sha256' },
  RS384: { kty: 'RSA', hash: 'sha384' },
  RS512: { kty: 'RSA', hash: 'sha512' },
  EdDSA: { kty: 'OKP', crv: 'Ed25519', hash: null },
  Ed25519: { kty: 'OKP', crv: 'Ed25519', hash: null },
});

/** The proof algorithms accepted when none are configured. */
export const DEFAULT_DPOP_ALGORITHMS: readonly string[] = Object.freeze(['ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'RS256', 'EdDSA', 'Ed25519']);

/** Why a proof was refused: `invalid_dpop_proof` or `use_dpop_nonce` (RFC 9449 §7.1, §8), and a reason to log. */
export interface DpopProofFailure {
  readonly valid: false;
  readonly error: 'invalid_dpop_proof' | 'use_dpop_nonce';
  /** A short, stable reason; never contains the proof or the token. */
  readonly reason: string;
}

/** A proof that holds: the thumbprint of its key, and its `jti` and `iat` for the replay check. */
export interface DpopProofSuccess {
  readonly valid: true;
  /** RFC 7638 thumbprint (SHA-256, base64url) of the proof's public key. */
  readonly jkt: string;
  readonly jti: string;
  readonly iat: number;
  /** The proof's `nonce`, when it carried one. */
  readonly nonce: string | undefined;
}

/** The outcome of `checkDpopProof`. */
export type DpopProofCheck = DpopProofSuccess | DpopProofFailure;

/** What a proof is checked against. */
export interface DpopProofInput {
  /** The `DPoP` header's value. */
  readonly proof: unknown;
  /** The request's method, e.g. `GET`. */
  readonly method: string;
  /** The request's URL as the server sees it (scheme, host, path; query and fragment are ignored). */
  readonly url: string;
  /** The access token the proof is sent with; `undefined` at login (no `ath` then, RFC 9449 §4.2). */
  readonly accessToken?: string;
  /** The thumbprint the access token is bound to (`cnf.jkt`); `undefined` when the caller only wants the key. */
  readonly jkt?: string;
  /** Decides whether the proof's `nonce` is acceptable; absent when the server does not use nonces. */
  readonly acceptNonce?: (nonce: unknown) => boolean;
}

/** The rules of a verifier, checked once. */
export interface DpopProofPolicy {
  /** The accepted `alg` values, each a key of `DPOP_ALGORITHMS`. */
  readonly algorithms: ReadonlySet<string>;
  /** Seconds a proof's `iat` may be in the past or the future (RFC 9449 §11.1: a short window). */
  readonly window: number;
}

/** A proof longer than this is refused before any decoding. */
export const MAX_DPOP_PROOF_LENGTH = 8192;
// RFC 9449 §4.2: the jti is a unique identifier; 16 random bytes suffice, this bounds what the store keeps.
const MAX_JTI_LENGTH = 256;
// Members that exist only in private JWKs (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2): a proof carrying one leaks it.
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const MIN_RSA_BITS = 2048;

const fail = (reason: string, error: DpopProofFailure['error'] = 'invalid_dpop_proof'): DpopProofFailure => ({ valid: false, error, reason });

/** RFC 7638 §3.2: the required members of the key, in lexicographic order, without white space. */
export function jwkThumbprint(jwk: JsonWebKey): string {
  const members = jwk.kty === 'RSA'
    ? { e: jwk.e, kty: jwk.kty, n: jwk.n }
    : jwk.kty === 'OKP' ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x } : { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y };
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url');
}

/** `ath` (RFC 9449 §4.2): base64url of the SHA-256 of the access token's ASCII bytes. */
export function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest('base64url');
}

/**
 * The `htu` form of a URL (RFC 9449 §4.3 step 9, RFC 3986 §6.2.2 and §6.2.3): scheme and host in lower case, the
 * default port dropped, dot segments and percent-encoding case normalised by WHATWG URL; no query, no fragment.
 * `null` when it is not an absolute http(s) URL.
 */
export function normaliseHtu(value: unknown): string | null {
  if (typeof value !== 'string' || value.length > MAX_DPOP_PROOF_LENGTH) return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  if (url.username !== '' || url.password !== '') return null;
  const path = url.pathname.replace(/%[0-9a-f]{2}/gi, (escape) => escape.toUpperCase());
  return `${url.origin}${path}`;
}

/** The proof's public key, or why it cannot be one: a JWK of the algorithm's type and curve, with no private member. */
function publicKeyOf(jwk: unknown, algorithm: ProofAlgorithm): KeyObject | string {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) return 'jwk';
  const members = jwk as Record<string, unknown>;
  if (PRIVATE_MEMBERS.some((name) => Object.hasOwn(members, name))) return 'private_jwk';
  if (members.kty !== algorithm.kty || (algorithm.crv !== undefined && members.crv !== algorithm.crv)) return 'jwk_type';
  let key: KeyObject;
  try {
    key = createPublicKey({ key: members as JsonWebKey, format: 'jwk' });
  } catch {
    return 'jwk';
  }
  if (algorithm.kty === 'RSA' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) return 'jwk_weak';
  return key;
}

// A client sends the same header (typ, alg, jwk) with every proof: its key is imported and thumbprinted once. Keyed by
// the exact header bytes, so a cached entry is what the same header always gives; bounded, and emptied when full.
const MAX_CACHED_KEYS = 1024;
const proofKeys = new Map<string, { readonly key: KeyObject | string; readonly jkt: string }>();

function proofKeyOf(headerSegment: string, jwk: unknown, algorithm: ProofAlgorithm): { readonly key: KeyObject | string; readonly jkt: string } {
  let entry = proofKeys.get(headerSegment);
  if (entry === undefined) {
    const key = publicKeyOf(jwk, algorithm);
    entry = { key, jkt: typeof key === 'string' ? '' : jwkThumbprint(jwk as JsonWebKey) };
    if (proofKeys.size >= MAX_CACHED_KEYS) proofKeys.clear();
    proofKeys.set(headerSegment, entry);
  }
  return entry;
}

function signatureHolds(algorithm: ProofAlgorithm, key: KeyObject, signingInput: string, signature: Buffer): boolean {
  if (algorithm.signatureSize !== undefined && signature.length !== algorithm.signatureSize) return false;
  const options = algorithm.kty === 'EC'
    ? { key, dsaEncoding: 'ieee-p1363' as const }
    : algorithm.pss ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST } : key;
  try {
    return cryptoVerify(algorithm.hash, Buffer.from(signingInput), options, signature);
  } catch {
    return false;
  }
}

/**
 * Checks a DPoP proof per RFC 9449 §4.3 (and §7.1 for an access token): one well-formed compact JWS; `typ`
 * `dpop+jwt`; an `alg` of the policy; a public `jwk` of that algorithm's type that verifies the signature; `htm` and
 * `htu` equal to the request's; `iat` within the window; a `jti`; `ath` of the access token when there is one; the
 * key's thumbprint equal to `jkt` when given; an acceptable `nonce` when the server asks for one. Never throws.
 *
 * @param nowSeconds - The current time in seconds since the epoch.
 * @example
 * ```ts
 * const result = checkDpopProof({ proof, method: 'GET', url: 'https://api.example/items', accessToken, jkt }, policy);
 * if (result.valid && await store.use(`dpop:${result.jkt}:${result.jti}`, result.iat + policy.window)) { ... }
 * ```
 */
export function checkDpopProof(input: DpopProofInput, policy: DpopProofPolicy, nowSeconds = Date.now() / 1000): DpopProofCheck {
  const { proof } = input;
  if (typeof proof !== 'string' || proof.length > MAX_DPOP_PROOF_LENGTH) return fail('malformed');
  const parts = splitToken(proof);
  if (parts === null) return fail('malformed');
  const { header } = parts;
  if (header.typ !== 'dpop+jwt') return fail('typ');
  // The header's own alg, looked up exactly in the allowed list: never "none", never an HMAC (RFC 9449 §4.3 step 5).
  const alg = header.alg;
  if (typeof alg !== 'string' || !policy.algorithms.has(alg) || !Object.hasOwn(DPOP_ALGORITHMS, alg)) return fail('alg');
  if (header.crit !== undefined) return fail('crit');
  const algorithm = DPOP_ALGORITHMS[alg];
  const { key, jkt } = proofKeyOf(parts.signingInput.slice(0, parts.signingInput.indexOf('.')), header.jwk, algorithm);
  if (typeof key === 'string') return fail(key);
  if (!signatureHolds(algorithm, key, parts.signingInput, Buffer.from(parts.signatureSegment, 'base64url'))) return fail('signature');
  const claims = decodeJsonSegment(parts.payloadSegment);
  if (claims === null) return fail('malformed');
  const { jti, htm, htu, iat, ath, nonce } = claims;
  if (typeof jti !== 'string' || jti === '' || jti.length > MAX_JTI_LENGTH) return fail('jti');
  if (htm !== input.method) return fail('htm');
  const expected = normaliseHtu(input.url);
  if (expected === null || normaliseHtu(htu) !== expected) return fail('htu');
  if (typeof iat !== 'number' || !Number.isFinite(iat) || Math.abs(nowSeconds - iat) > policy.window) return fail('iat');
  if (input.accessToken !== undefined && ath !== accessTokenHash(input.accessToken)) return fail('ath');
  if (input.accessToken === undefined && ath !== undefined) return fail('ath');
  if (input.jkt !== undefined && jkt !== input.jkt) return fail('jkt');
  // Last: a client answered use_dpop_nonce retries with the nonce, so every other fault is reported first.
  if (input.acceptNonce !== undefined && !input.acceptNonce(nonce)) return fail('nonce', 'use_dpop_nonce');
  return { valid: true, jkt, jti, iat, nonce: typeof nonce === 'string' ? nonce : undefined };
}
