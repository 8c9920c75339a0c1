/**
 * `AuthManager` (the seed's AuthManager Object): a thin facade over the runtime of its configuration (config/runtime):
 * issues tokens with the signer, verifies with the shared verifier, rotates and revokes with the shared sessions
 * module. It is the typedi service that `@RequireToken` resolves per request.
 */
import { randomBytes } from 'node:crypto';
import { Service, type ContainerInstance } from 'typedi';
import { REJECTIONS, toHttpError, type Rejection } from './authorize/rejections';
import { TokenType, type Claims, type Scope } from './claims';
import { runtimeFor, type Runtime } from './config/runtime';
import { readDotenv, type ConfigLayers, type ConfigSource } from './config/sources';
import { MissingSignerError, type TokenForbiddenError, type TokenUnauthorizedError, type TokenUnavailableError } from './errors';
import { newRefreshId, type AuthData, type RefreshSuccessor } from './keys/auth-data';
import type { JwkSet } from './keys/jwk';
import type { RevocationStore } from './sessions/revocation-store';
import { JWT, type SignedJWT } from './token/jwt';
import type { TokenCheck } from './token/verify';
import { DEFAULT_CACHE_SIZE } from './token/verify-cache';

/** Session claims a manager puts into the tokens of one login. */
export interface SessionClaims {
  /** The token family (`fam`): every refresh token descended from one login shares it. */
  family?: string;
  /** The CSRF value (`csrf`) of tokens kept in cookies. */
  csrf?: string;
  /**
   * The RFC 7638 thumbprint of a DPoP key (from `dpopKeyOf(request)` at login): the tokens carry `cnf.jkt` and are
   * accepted only with a proof of that key (RFC 9449 §6).
   */
  dpopJkt?: string;
  /**
   * The SHA-256 thumbprint of the client's TLS certificate (from `clientCertificateThumbprint(request)`): the tokens
   * carry `cnf["x5t#S256"]` and are accepted only over a connection presenting that certificate (RFC 8705 §3).
   */
  certificateThumbprint?: string;
  /**
   * When the user logged in, in seconds since the epoch (`auth_time`, RFC 9470 §3): routes with `maxAge` compare it
   * with now. `sessionTokens` sets it to now; `rotate` keeps the refresh token's, so a refresh never makes a login fresh.
   */
  authTime?: number;
  /** How the user logged in (`acr`, e.g. `'mfa'`): routes with `acr` accept only the values they name (RFC 9470 §3). */
  acr?: string;
}

/** What a login says about itself, for `sessionTokens`. */
export interface LoginOptions {
  /** The `acr` of this login (e.g. `'mfa'` after a second factor). @default none */
  acr?: string;
}

/** What `rotate` answers: two signed tokens. */
export interface RotatedTokens {
  authToken: SignedJWT;
  refreshToken: SignedJWT;
}

/** An RFC 7638 SHA-256 thumbprint, base64url. */
const JKT = /^[A-Za-z0-9_-]{43}$/;

/** A random 128-bit id, base64url. */
const randomId = (): string => randomBytes(16).toString('base64url');

/** The headers-carrying error the manager throws. */
type ManagerError = TokenUnauthorizedError | TokenForbiddenError | TokenUnavailableError;

// Set by the HTTP layer (http/manager-errors.ts; this file may not import it): called with every 503 the manager is
// about to throw, so that its Retry-After reaches the response of the request it runs for, which routing-controllers'
// default error handler would answer without the error's headers.
let beforeUnavailable: (error: ManagerError) => void = () => undefined;

/** Registers the HTTP layer's hook for the 503s the manager throws (`rotate`, `revoke`, `isRevoked` in an action). */
export function onManagerUnavailable(hook: (error: ManagerError) => void): void {
  beforeUnavailable = hook;
}

/** Managers attached to the app (or config object) they were initialised with, for `@RequireToken` to find. */
const attached = new WeakMap<object, AuthManager>();

/** The runtime of each configured manager: the guards' view of a manager, kept off its public prototype. */
const runtimes = new WeakMap<AuthManager, Runtime>();

/**
 * The manager `initApp` attached to `app`, if any.
 * @internal
 */
export function attachedManager(app: unknown): AuthManager | undefined {
  return (typeof app === 'object' || typeof app === 'function') && app !== null ? attached.get(app) : undefined;
}

/**
 * The runtime a configured manager runs with; `undefined` before it is configured.
 * @internal
 */
export function runtimeOf(manager: AuthManager): Runtime | undefined {
  return runtimes.get(manager);
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
  /** Seconds an auth token lives when `JWT_AUTHMAXAGE` is not set. Read when a manager is configured. */
  static defaultAuthMaxAge = 3600;
  /** Seconds a refresh token lives when `JWT_REFRESHMAXAGE` is not set. Read when a manager is configured. */
  static defaultRefreshMaxAge = 604800;

  /** The signer (the current key), or `null` until configured and for verify-only configurations. */
  signer: AuthData | null = null;
  #dotenv: Record<string, string> | undefined;

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
    else if (this.#dotenv !== undefined) this.#configure({ dotenv: this.#dotenv });
  }

  /**
   * Builds a manager for typedi from the tokens of `container` (then the global container, then the environment).
   * This is what `Container.get(AuthManager)` runs. Managers built from the same values share their keys, cache,
   * remote keys and revocation store, whatever container builds them.
   */
  static fromContainer(container?: ContainerInstance): AuthManager {
    const manager = new AuthManager();
    manager.#configure({ container });
    return manager;
  }

  /** Configures the manager from `app` (then the typedi tokens, then the environment) and attaches it to `app`. */
  initApp(app: ConfigSource): void {
    this.#configure({ source: app, dotenv: this.#dotenv });
    attached.set(app, this);
  }

  #configure(layers: ConfigLayers): void {
    const runtime = runtimeFor(layers, {
      authMaxAge: AuthManager.defaultAuthMaxAge,
      refreshMaxAge: AuthManager.defaultRefreshMaxAge,
      cacheSize: DEFAULT_CACHE_SIZE,
    });
    runtimes.set(this, runtime);
    this.signer = runtime.signer;
  }

  #runtime(): Runtime {
    const runtime = runtimes.get(this);
    if (runtime === undefined) throw new MissingSignerError();
    return runtime;
  }

  /**
   * Issues a signed auth token.
   *
   * @param subject - The `sub` claim.
   * @param scope - The `scope` claim.
   * @param claims - Extra claims; reserved names (`RESERVED_CLAIMS`: iss, iat, exp, type, rid, sub, fam, jti, uti, csrf, cnf, auth_time, acr) are a `TypeError`.
   * @param session - The family, CSRF value, `authTime` and `acr` of a login (see `sessionTokens` and `rotate`).
   */
  authToken(subject: string | number, scope?: Scope | null, claims?: Claims, session: SessionClaims = {}): SignedJWT {
    const token = new JWT(TokenType.AUTH, subject, scope, claims);
    // With revocation of auth tokens on (JWT_AUTHJTI), each auth token gets an id it can be revoked by. Without it,
    // a random `uti` that nothing looks up: a `jti` means "check me against the store" to every verifying service.
    // Either way, two auth tokens are never byte-identical (same subject and claims within one second of `iat`).
    if (this.#runtime().authJti) return this.#sign(token, { ...session, jti: randomId() });
    return this.#sign(token, { ...session, uti: randomId() });
  }

  /**
   * Issues a signed refresh token; it carries a random `rid`, the `fam` (family) of the login it descends from (a new
   * one unless `session.family` is given) and never a scope.
   */
  refreshToken(subject: string | number, session: SessionClaims = {}): SignedJWT {
    return this.#sign(new JWT(TokenType.REFRESH, subject), { ...session, family: session.family ?? randomId() });
  }

  /**
   * Tokens for a browser session kept in cookies: an auth token and a refresh token of a new family, both carrying a
   * fresh CSRF value (`csrf`) that state-changing requests must send back in a header. Put them into cookies with
   * `setSessionCookies`. This is a login: both tokens carry `auth_time` (now) and, when `login.acr` is given, `acr`
   * (RFC 9470 step-up, see `maxAge` and `acr` of `@RequireToken`).
   *
   * @example
   * ```ts
   * const { authToken, refreshToken } = manager.sessionTokens('alice', 'read', {}, { acr: 'mfa' });
   * ```
   */
  sessionTokens(subject: string | number, scope?: Scope | null, claims?: Claims, login: LoginOptions = {}): RotatedTokens & { csrf: string } {
    // This is the login: its time (and its acr, when given) go into both tokens and survive every rotation.
    const csrf = randomId();
    const session: SessionClaims = { family: randomId(), csrf, authTime: Math.floor(Date.now() / 1000), acr: login.acr };
    return { authToken: this.authToken(subject, scope, claims, session), refreshToken: this.refreshToken(subject, session), csrf };
  }

  #sign(token: JWT, session: SessionClaims & { jti?: string; uti?: string }, successor?: RefreshSuccessor): SignedJWT {
    const { signer } = this.#runtime();
    if (signer === null) throw new MissingSignerError('This AuthManager only verifies (no JWT_SECRET or current key): it cannot sign');
    if (session.family !== undefined) token.claims.fam = session.family;
    if (session.csrf !== undefined) token.claims.csrf = session.csrf;
    if (session.jti !== undefined) token.claims.jti = session.jti;
    if (session.uti !== undefined) token.claims.uti = session.uti;
    if (session.authTime !== undefined) {
      if (!Number.isSafeInteger(session.authTime) || session.authTime < 0) throw new TypeError('authTime must be whole seconds since the epoch');
      token.claims.auth_time = session.authTime;
    }
    if (session.acr !== undefined) {
      if (typeof session.acr !== 'string' || session.acr === '') throw new TypeError('acr must be a non-empty string');
      token.claims.acr = session.acr;
    }
    if (session.dpopJkt !== undefined) {
      if (typeof session.dpopJkt !== 'string' || !JKT.test(session.dpopJkt)) throw new TypeError('dpopJkt must be an RFC 7638 SHA-256 thumbprint: 43 base64url characters (see dpopKeyOf)');
      token.claims.cnf = { jkt: session.dpopJkt };
    }
    if (session.certificateThumbprint !== undefined) {
      if (typeof session.certificateThumbprint !== 'string' || !JKT.test(session.certificateThumbprint)) throw new TypeError('certificateThumbprint must be a SHA-256 certificate thumbprint: 43 base64url characters (see clientCertificateThumbprint)');
      token.claims.cnf = { ...(token.claims.cnf as Record<string, string> | undefined), 'x5t#S256': session.certificateThumbprint };
    }
    token.sign(signer, successor);
    return token as SignedJWT;
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
    const runtime = this.#runtime();
    const token = await this.#verified(refresh, runtime);
    if (token.tokenType !== TokenType.REFRESH) throw this.#error(REJECTIONS.needRefresh, runtime);
    const { rid, fam, csrf, cnf, auth_time: authTime, acr } = token.claims;
    if (typeof rid !== 'string') throw this.#error(REJECTIONS.claims, runtime);
    // The successor's rid and iat are chosen first, so that a request within the refresh grace window can be answered
    // the very same refresh token (signed again from them): one live refresh token, whichever answer a client keeps.
    const chosen = { rid: newRefreshId(), iat: Math.floor(Date.now() / 1000) };
    const outcome = await runtime.sessions.retire(token, chosen);
    if (outcome !== 'rotated' && typeof outcome !== 'object') throw this.#error(outcome === 'unavailable' ? REJECTIONS.revocationUnavailable : REJECTIONS.revoked, runtime);
    const successor = typeof outcome === 'object' ? outcome.successor : chosen;
    // A refresh token issued without a family starts one named by its rid, which is what it can be revoked by.
    const session: SessionClaims = { family: typeof fam === 'string' ? fam : rid, csrf: typeof csrf === 'string' ? csrf : undefined };
    // The login's time and kind are the login's, not the refresh's: a rotation keeps them (RFC 9470 step-up stays honest).
    if (typeof authTime === 'number') session.authTime = authTime;
    if (typeof acr === 'string') session.acr = acr;
    // The new tokens stay bound to the key the refresh token was bound to (RFC 9449 §5).
    const jkt = typeof cnf === 'object' && cnf !== null && !Array.isArray(cnf) ? cnf.jkt : undefined;
    if (typeof jkt === 'string') session.dpopJkt = jkt;
    const x5t = typeof cnf === 'object' && cnf !== null && !Array.isArray(cnf) ? cnf['x5t#S256'] : undefined;
    if (typeof x5t === 'string') session.certificateThumbprint = x5t;
    return { authToken: this.authToken(token.sub, scope, claims, session), refreshToken: this.#sign(new JWT(TokenType.REFRESH, token.sub), session, successor) };
  }

  /**
   * Revokes a token: a refresh token's whole family (logging out ends every refresh token of that login), or an auth
   * token by its `jti` (issued with `JWT_AUTHJTI`). A revocation lasts as long as any token it concerns can verify
   * (the family's own lifetime, which a verify-only service reads from the token, plus the leeway).
   *
   * @throws TokenUnauthorizedError (401) for a token that is not valid (any more).
   * @throws TypeError for an auth token without a jti (turn `JWT_AUTHJTI` on).
   * @throws TokenUnavailableError (503) when the store fails or does not answer within `JWT_REVOCATIONTIMEOUT`.
   */
  async revoke(token: JWT | string): Promise<void> {
    const runtime = this.#runtime();
    const verified = await this.#verified(token, runtime);
    if (await runtime.sessions.revoke(verified) === 'unavailable') throw this.#error(REJECTIONS.revocationUnavailable, runtime);
  }

  /**
   * Logout everywhere: revokes every token of `subject` issued up to now (this second included) that is checked
   * against the store: all its refresh-token families, and its auth tokens when `JWT_AUTHJTI` is on (plain auth
   * tokens live on until they expire). A login after this call starts afresh. One store write; every later check of
   * those tokens reads the subject's entry together with the token's own, on every instance sharing the store.
   *
   * @example
   * ```ts
   * await manager.revokeSubject(user.id); // after a password change: every device signs in again
   * ```
   * @throws TypeError when the revocation store cannot keep subject revocations (a custom store without `revokeBefore`).
   * @throws TokenUnavailableError (503) when the store fails or does not answer within `JWT_REVOCATIONTIMEOUT`.
   */
  async revokeSubject(subject: string | number): Promise<void> {
    const runtime = this.#runtime();
    if (await runtime.sessions.revokeSubject(subject) === 'unavailable') throw this.#error(REJECTIONS.revocationUnavailable, runtime);
  }

  /**
   * Whether a valid token was revoked (its family, its jti, or, for a refresh token, because it was already
   * rotated). Tokens that are not valid are not revoked: check them with `checkToken`.
   *
   * @throws TokenUnavailableError (503) when the store fails or does not answer in time.
   */
  async isRevoked(token: JWT | string): Promise<boolean> {
    const runtime = this.#runtime();
    const check = await runtime.verifier.checkWithRemote(token instanceof JWT ? token.signed : token);
    if (!check.valid) return false;
    const status = await runtime.sessions.status(check.token);
    if (status === 'unavailable') throw this.#error(REJECTIONS.revocationUnavailable, runtime);
    return status === 'revoked';
  }

  async #verified(token: JWT | string, runtime: Runtime): Promise<JWT> {
    const result = await runtime.verifier.checkWithRemote(token instanceof JWT ? token.signed : token);
    if (!result.valid) throw this.#error(REJECTIONS[result.reason], runtime);
    return result.token;
  }

  #error(rejection: Rejection, runtime: Runtime): ManagerError {
    const error = toHttpError(rejection, runtime.realm);
    if (error.httpCode === 503) beforeUnavailable(error);
    return error;
  }

  /** The revocation store (in memory unless `JWT_REVOCATIONSTORE` names another), shared by its configuration. */
  get revocationStore(): RevocationStore {
    return this.#runtime().sessions.store;
  }

  /**
   * Checks a token with the keys at hand and says why it is refused. Never throws for bad input. With a remote JWK
   * Set, a token naming a key not fetched yet is refused here as `unknown_key`: `verify` fetches it.
   *
   * @throws MissingSignerError when the manager is not configured.
   */
  checkToken(token: JWT | string): TokenCheck {
    return this.#runtime().verifier.check(token instanceof JWT ? token.signed : token);
  }

  /**
   * Checks a token like `checkToken`, and when it names a key that is not known yet and a remote JWK Set (or the
   * token's trusted issuer, `JWT_ISSUERS`) is configured, fetches the set (at most once per `JWT_JWKSCOOLDOWN`) and checks again. Fails closed: when the set
   * cannot be fetched, the answer is `key_unavailable`. Never rejects for bad input.
   *
   * @example
   * ```ts
   * const result = await manager.verify(token);
   * if (!result.valid) console.warn('refused:', result.reason);
   * ```
   * @throws MissingSignerError when the manager is not configured.
   */
  async verify(token: JWT | string): Promise<TokenCheck> {
    return this.#runtime().verifier.checkWithRemote(token instanceof JWT ? token.signed : token);
  }

  /**
   * True when the configuration includes a remote JWK Set (`JWT_JWKSURL`) or trusted issuers (`JWT_ISSUERS`): a check
   * may have to fetch keys.
   */
  get verifiesRemotely(): boolean {
    return runtimes.get(this)?.verifier.remote ?? false;
  }

  /** The configured issuer, or `null` before the manager is configured. */
  get issuer(): string | null {
    return runtimes.get(this)?.policy.issuer ?? null;
  }

  /**
   * The public JWK Set of this manager's keys (RFC 7517): asymmetric keys with their `kid`, `alg` and `use: "sig"`,
   * never a private part, never an HMAC secret. Serve it with `serveJwks()`.
   */
  jwks(): JwkSet {
    return this.#runtime().ring.jwks();
  }

  /** How many verified tokens are cached now for this configuration (0 when the cache is off). */
  get cachedTokenCount(): number {
    return runtimes.get(this)?.verifier.cachedCount ?? 0;
  }

  /**
   * True only for a token signed by this manager's key with its algorithm, issued by its issuer, carrying `exp`,
   * `iat`, `sub`, `iss` and `type`, not expired and not issued in the future. Custom claims and scope are not checked.
   * Never throws for bad input. With a remote JWK Set, only keys already fetched count (see `verify`).
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
