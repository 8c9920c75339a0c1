/**
 * `AuthManager` (the seed's AuthManager Object): issues and verifies tokens with one configured signer, and is the
 * typedi service that `@RequireToken` resolves per request.
 */
import { Service, type ContainerInstance } from 'typedi';
import type { AuthData } from './keys/auth-data';
import { resolveConfig } from './config/resolve-config';
import { readDotenv, type ConfigLayers, type ConfigSource } from './config/sources';
import { MissingSignerError } from './errors';
import { TokenType } from './claims';
import { JWT } from './token/jwt';
import { KeyRing } from './keys/key-ring';
import type { JwkSet } from './keys/jwk';
import { RemoteJwks } from './keys/remote-jwks';
import { DEFAULT_CACHE_SIZE, VerifiedTokenCache } from './token/verify-cache';
import { checkSignedToken, type TokenCheck, type VerifyPolicy } from './token/verify';
import type { KeyLookup } from './keys/verification-key';
import type { Claims, Scope } from './claims';
import { randomBytes } from 'node:crypto';
import { MemoryRevocationStore } from './sessions/memory-revocation-store';
import type { RevocationStore } from './sessions/revocation-store';
import { quotedRealm, REJECTIONS, toHttpError, type Rejection } from './authorize/rejections';
import type { TokenForbiddenError, TokenUnauthorizedError, TokenUnavailableError } from './errors';

/** Session claims a manager puts into the tokens of one login. */
export interface SessionClaims {
  /** The token family (`fam`): every refresh token descended from one login shares it. */
  family?: string;
  /** The CSRF value (`csrf`) of tokens kept in cookies. */
  csrf?: string;
}

/** What `rotate` answers. */
export interface RotatedTokens {
  authToken: JWT;
  refreshToken: JWT;
}

/** A random 128-bit id, base64url. */
const randomId = (): string => randomBytes(16).toString('base64url');

/**
 * The store keys a token can be revoked by: a refresh token by its family, an auth token by its jti (and its family).
 * A refresh token's retired rid is kept under `used:` and is looked at separately: seeing it again is a reuse.
 */
function revocationKeys(token: JWT): string[] {
  const { rid, fam, jti } = token.claims;
  if (token.tokenType === TokenType.REFRESH) return typeof rid === 'string' && typeof fam === 'string' ? [`fam:${fam}`] : [];
  if (typeof jti !== 'string') return [];
  return typeof fam === 'string' ? [`jti:${jti}`, `fam:${fam}`] : [`jti:${jti}`];
}

/** Managers attached to the app (or config object) they were initialised with, for `@RequireToken` to find. */
const attached = new WeakMap<object, AuthManager>();

/**
 * The manager `initApp` attached to `app`, if any.
 * @internal
 */
export function attachedManager(app: unknown): AuthManager | undefined {
  return (typeof app === 'object' || typeof app === 'function') && app !== null ? attached.get(app) : undefined;
}

/**
 * Issues and verifies auth and refresh tokens.
 *
 * @example Through typedi (values from `Container.set(JWT_SECRET, ...)` or the environment):
 * ```ts
 * const manager = Container.get(AuthManager);
 * const token = manager.authToken('user-1', { admin: true });
 * ```
 * @example The application-factory pattern:
 * ```ts
 * const app = express();
 * app.set('JWT_ISSUER', 'my-api').set('JWT_AUTHTYPE', 'HS256').set('JWT_SECRET', secret);
 * const manager = new AuthManager(app); // or: new AuthManager().initApp(app)
 * ```
 */
@Service({ factory: (container: ContainerInstance) => AuthManager.fromContainer(container) })
export class AuthManager {
  /** Seconds an auth token lives when `JWT_AUTHMAXAGE` is not set. */
  static defaultAuthMaxAge = 3600;
  /** Seconds a refresh token lives when `JWT_REFRESHMAXAGE` is not set. */
  static defaultRefreshMaxAge = 604800;

  /** Seconds the revocation store may take before a request is answered 503 (fail closed). */
  static revocationTimeout = 1;
  /** Seconds between two fetches of a remote JWK Set (`JWT_JWKSURL`), also when tokens name unknown keys. */
  static jwksCooldown = 30;
  /** Seconds a fetch of the remote JWK Set may take. */
  static jwksTimeout = 5;
  /** Seconds after which remote keys are reloaded in the background. */
  static jwksMaxAge = 600;

  /** The signer (the current key), or `null` until configured and for verify-only configurations. */
  signer: AuthData | null = null;
  #dotenv: Record<string, string> | undefined;
  #cache: VerifiedTokenCache | null = null;
  #ring: KeyRing | null = null;
  #remote: RemoteJwks | null = null;
  #policy: VerifyPolicy | null = null;
  #lookup: KeyLookup = () => undefined;
  #store: RevocationStore = new MemoryRevocationStore();
  #authJti = false;

  /**
   * @param app - An Express application (its settings) or a plain object of config values. When given, the manager is
   *   configured at once and attached to it, as `initApp` does.
   * @param dotenvPath - A `.env` file to read values from after `process.env` (which is left untouched). When given
   *   without `app`, the manager is configured at once from the typedi tokens and the environment.
   * @throws MissingConfigError / InvalidConfigError when configuring fails.
   */
  constructor(app?: ConfigSource, dotenvPath?: string) {
    if (dotenvPath !== undefined && dotenvPath !== null) this.#dotenv = readDotenv(dotenvPath);
    if (app !== undefined && app !== null) this.initApp(app);
    else if (this.#dotenv !== undefined) this.#configure(undefined, undefined);
  }

  /**
   * Builds a manager for typedi from the tokens of `container` (then the global container, then the environment).
   * This is what `Container.get(AuthManager)` runs.
   */
  static fromContainer(container?: ContainerInstance): AuthManager {
    const manager = new AuthManager();
    manager.#configure(undefined, container);
    return manager;
  }

  /** Configures the manager from `app` (then the typedi tokens, then the environment) and attaches it to `app`. */
  initApp(app: ConfigSource): void {
    this.#configure(app, undefined);
    attached.set(app, this);
  }

  #configure(source: ConfigSource | undefined, container: ContainerInstance | undefined): void {
    const layers: ConfigLayers = { source, container, dotenv: this.#dotenv };
    const config = resolveConfig(layers, {
      authMaxAge: AuthManager.defaultAuthMaxAge,
      refreshMaxAge: AuthManager.defaultRefreshMaxAge,
      cacheSize: DEFAULT_CACHE_SIZE,
    });
    const ring = new KeyRing(config.keys);
    const remote = config.jwksUrl === null ? null : new RemoteJwks(config.jwksUrl, {
      cooldownMs: AuthManager.jwksCooldown * 1000,
      timeoutMs: AuthManager.jwksTimeout * 1000,
      maxAgeMs: AuthManager.jwksMaxAge * 1000,
    }, () => this.#cache?.clear());
    this.signer = config.signer;
    this.#ring = ring;
    this.#remote = remote;
    this.#policy = config.policy;
    // Local keys first; a kid the ring does not know is looked up in the remote set.
    this.#lookup = remote === null ? ring.lookup : (header) => {
      const local = ring.lookup(header);
      return local !== undefined || typeof header.kid !== 'string' ? local : remote.lookup(header.kid);
    };
    this.#cache = config.cacheSize > 0 ? new VerifiedTokenCache(config.cacheSize) : null;
    this.#store = config.revocationStore ?? new MemoryRevocationStore();
    this.#authJti = config.authJti;
  }

  #requireSigner(): AuthData {
    if (this.signer === null) throw new MissingSignerError();
    return this.signer;
  }

  #requirePolicy(): VerifyPolicy {
    if (this.#policy === null) throw new MissingSignerError();
    return this.#policy;
  }

  /**
   * Issues a signed auth token.
   *
   * @param subject - The `sub` claim.
   * @param scope - The `scope` claim.
   * @param claims - Extra claims; reserved names (iss, iat, exp, type, rid, sub) are a `TypeError`.
   */
  authToken(subject: string | number, scope?: Scope | null, claims?: Claims, session: SessionClaims = {}): JWT {
    const token = new JWT(TokenType.AUTH, subject, scope, claims);
    // With revocation of auth tokens on (JWT_AUTHJTI), each auth token gets an id it can be revoked by.
    const jti = this.#authJti ? randomId() : undefined;
    return this.#sign(token, { ...session, jti });
  }

  /**
   * Issues a signed refresh token; it carries a random `rid`, the `fam` (family) of the login it descends from (a new
   * one unless `session.family` is given) and never a scope.
   */
  refreshToken(subject: string | number, session: SessionClaims = {}): JWT {
    return this.#sign(new JWT(TokenType.REFRESH, subject), { ...session, family: session.family ?? randomId() });
  }

  /**
   * Tokens for a browser session kept in cookies: an auth token and a refresh token of a new family, both carrying a
   * fresh CSRF value (`csrf`) that state-changing requests must send back in a header. Put them into cookies with
   * `setSessionCookies`.
   */
  sessionTokens(subject: string | number, scope?: Scope | null, claims?: Claims): RotatedTokens & { csrf: string } {
    const session: SessionClaims = { family: randomId(), csrf: randomId() };
    return { authToken: this.authToken(subject, scope, claims, session), refreshToken: this.refreshToken(subject, session), csrf: session.csrf as string };
  }

  #sign(token: JWT, session: SessionClaims & { jti?: string }): JWT {
    const signer = this.#requireSigner();
    if (session.family !== undefined) token.claims.fam = session.family;
    if (session.csrf !== undefined) token.claims.csrf = session.csrf;
    if (session.jti !== undefined) token.claims.jti = session.jti;
    token.sign(signer);
    return token;
  }

  /**
   * Exchanges a refresh token for a new auth token and a new refresh token of the same family, and retires the old
   * one (OAuth 2.0 Security BCP, refresh token rotation). Using a retired refresh token again is taken as theft: the
   * whole family (every refresh token descended from the same login) is revoked.
   *
   * @throws TokenUnauthorizedError (401) for an invalid, revoked or reused refresh token.
   * @throws TokenUnavailableError (503) when the revocation store does not answer in time.
   */
  async rotate(refresh: JWT | string, scope?: Scope | null, claims?: Claims): Promise<RotatedTokens> {
    const result = await this.checkTokenAsync(refresh);
    if (!result.valid) throw this.#error(REJECTIONS[result.reason]);
    const token = result.token;
    if (token.tokenType !== TokenType.REFRESH) throw this.#error(REJECTIONS.needRefresh);
    const { rid, fam, csrf } = token.claims;
    if (typeof rid !== 'string' || typeof fam !== 'string') throw this.#error(REJECTIONS.claims);
    // The token verifies until exp + leeway, so it stays retired as long.
    const expiresAt = (token.exp as number) + (this.#policy?.leeway ?? 0);
    const store = this.#store;
    const usedKey = `used:${rid}`;
    const outcome = await this.#withinTimeout(async () => {
      if (await store.isRevoked([`fam:${fam}`])) return 'revoked' as const;
      if (await store.use(usedKey, expiresAt)) return 'rotated' as const;
      await this.#revokeFamily(fam);
      return 'reused' as const;
    }, (late) => {
      // The client was told 503 and will retry with the same token: a use that landed after all must not count.
      if (late === 'rotated') void store.release?.(usedKey).catch(() => undefined);
    });
    if (outcome !== 'rotated') throw this.#error(outcome === 'unavailable' ? REJECTIONS.revocationUnavailable : REJECTIONS.revoked);
    const session: SessionClaims = { family: fam, csrf: typeof csrf === 'string' ? csrf : undefined };
    return { authToken: this.authToken(token.sub, scope, claims, session), refreshToken: this.refreshToken(token.sub, session) };
  }

  /**
   * Revokes a token: a refresh token's whole family (logging out ends every refresh token of that login), or an auth
   * token by its `jti` (issued with `JWT_AUTHJTI`). Revocations last until the tokens would have expired.
   *
   * @throws TokenUnauthorizedError (401) for a token that is not valid (any more).
   * @throws TypeError for an auth token without a jti (turn `JWT_AUTHJTI` on).
   * @throws TokenUnavailableError (503) when the store fails or does not answer within `revocationTimeout`.
   */
  async revoke(token: JWT | string): Promise<void> {
    const result = await this.checkTokenAsync(token);
    if (!result.valid) throw this.#error(REJECTIONS[result.reason]);
    const { token: verified } = result;
    const keys = revocationKeys(verified);
    if (keys.length === 0) throw new TypeError('This auth token has no jti to revoke it by: turn JWT_AUTHJTI on');
    const store = this.#store;
    const outcome = await this.#withinTimeout(() => verified.tokenType === TokenType.REFRESH
      ? this.#revokeFamily(verified.claims.fam as string)
      : store.revoke(keys[0], (verified.exp as number) + (this.#policy?.leeway ?? 0)));
    if (outcome === 'unavailable') throw this.#error(REJECTIONS.revocationUnavailable);
  }

  // A family is revoked for as long as any refresh token of it can live.
  #revokeFamily(family: string): Promise<void> {
    return this.#store.revoke(`fam:${family}`, Date.now() / 1000 + (this.signer?.refreshMaxAge ?? AuthManager.defaultRefreshMaxAge) + 1);
  }

  /**
   * Whether a verified token was revoked: refresh tokens always, auth tokens when they carry a `jti`. Answers
   * `'unavailable'` when the store fails or does not answer within `revocationTimeout` (fail closed).
   */
  async revocationStatus(token: JWT): Promise<'valid' | 'revoked' | 'unavailable'> {
    const keys = revocationKeys(token);
    if (keys.length === 0) return 'valid';
    const store = this.#store;
    const { rid, fam } = token.claims;
    const outcome = await this.#withinTimeout(async () => {
      if (await store.isRevoked(keys)) return 'revoked' as const;
      // A retired refresh token presented anywhere is a reuse: the family goes, not only this request.
      if (token.tokenType === TokenType.REFRESH && await store.isRevoked([`used:${rid as string}`])) {
        await this.#revokeFamily(fam as string);
        return 'revoked' as const;
      }
      return 'valid' as const;
    });
    return outcome;
  }

  /** True when a guard must ask the store about `token` (refresh tokens, and auth tokens with a jti). */
  needsRevocationCheck(token: JWT): boolean {
    return revocationKeys(token).length > 0;
  }

  /**
   * Runs store work within `revocationTimeout`: 'unavailable' when it fails or is late. `afterTimeout` receives the
   * result of work that finished after its caller was already answered.
   */
  async #withinTimeout<T>(work: () => Promise<T>, afterTimeout?: (late: T | 'unavailable') => void): Promise<T | 'unavailable'> {
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    const timeout = new Promise<'unavailable'>((resolve) => {
      timer = setTimeout(() => {
        timedOut = true;
        resolve('unavailable');
      }, AuthManager.revocationTimeout * 1000);
    });
    const running = (async () => work())().catch(() => 'unavailable' as const);
    if (afterTimeout) void running.then((late) => timedOut && afterTimeout(late));
    try {
      return await Promise.race([running, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  #error(rejection: Rejection): TokenUnauthorizedError | TokenForbiddenError | TokenUnavailableError {
    const issuer = this.issuer;
    return toHttpError(rejection, issuer === null ? undefined : quotedRealm(issuer));
  }

  /** The revocation store (in memory unless `JWT_REVOCATIONSTORE` names another). */
  get revocationStore(): RevocationStore {
    return this.#store;
  }

  /**
   * Checks a token with the keys at hand and says why it is refused. Never throws for bad input. With a remote JWK
   * Set, a token naming a key not fetched yet is refused here: `checkTokenAsync` fetches it.
   *
   * @throws MissingSignerError when the manager is not configured.
   */
  checkToken(token: JWT | string): TokenCheck {
    const policy = this.#requirePolicy();
    const signed = token instanceof JWT ? token.signed : token;
    const cache = this.#cache;
    if (cache === null || typeof signed !== 'string') return checkSignedToken(signed, this.#lookup, policy);
    const now = Date.now() / 1000;
    const cached = cache.get(signed, now);
    if (cached !== undefined) return { valid: true, token: cached };
    const result = checkSignedToken(signed, this.#lookup, policy, now);
    // Only verified tokens are cached: garbage never evicts a good entry.
    if (result.valid) cache.set(signed, result.token, (result.token.exp as number) + policy.leeway);
    return result;
  }

  /**
   * Like `checkToken`, and when the token names a key that is not known yet and a remote JWK Set is configured,
   * fetches the set (at most once per `jwksCooldown`) and checks again. Fails closed: when the set cannot be
   * fetched, the answer is `key_unavailable`. Never rejects for bad input.
   */
  async checkTokenAsync(token: JWT | string): Promise<TokenCheck> {
    const result = this.checkToken(token);
    const remote = this.#remote;
    if (result.valid || remote === null || result.reason !== 'unknown_key') return result;
    const fresh = await remote.refresh();
    const again = this.checkToken(token);
    if (!again.valid && again.reason === 'unknown_key' && !fresh && !remote.loaded) return { valid: false, reason: 'key_unavailable' };
    return again;
  }

  /** The configured issuer, or `null` before the manager is configured. */
  get issuer(): string | null {
    return this.#policy?.issuer ?? null;
  }

  /** True when verifying may need a fetch (a remote JWK Set is configured): use `checkTokenAsync`. */
  get verifiesRemotely(): boolean {
    return this.#remote !== null;
  }

  /**
   * The public JWK Set of this manager's keys (RFC 7517): asymmetric keys with their `kid`, `alg` and `use: "sig"`,
   * never a private part, never an HMAC secret. Serve it with `serveJwks()`.
   */
  jwks(): JwkSet {
    this.#requirePolicy();
    return this.#ring?.jwks() ?? { keys: [] };
  }

  /** How many verified tokens are cached now (0 when the cache is off). */
  get cachedTokenCount(): number {
    return this.#cache?.size ?? 0;
  }

  /**
   * True only for a token signed by this manager's key with its algorithm, issued by its issuer, carrying `exp`,
   * `iat`, `sub`, `iss` and `type`, not expired and not issued in the future. Custom claims and scope are not checked.
   * Never throws for bad input. With a remote JWK Set, only keys already fetched count (see `checkTokenAsync`).
   *
   * @throws MissingSignerError when the manager is not configured.
   */
  verifyToken(token: JWT | string): boolean {
    return this.checkToken(token).valid;
  }

  /**
   * Reads a signed token WITHOUT verifying it.
   *
   * @throws InvalidTokenError when it is not a well-formed JWT with the required claims.
   */
  static convertToken(signed: string): JWT {
    return JWT.fromSignedToken(signed);
  }
}
