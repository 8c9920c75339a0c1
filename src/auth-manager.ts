/**
 * `AuthManager` (the seed's AuthManager Object): issues and verifies tokens with one configured signer, and is the
 * typedi service that `@RequireToken` resolves per request.
 */
import { Service, type ContainerInstance } from 'typedi';
import type { AuthData } from './auth-data';
import { readDotenv, resolveConfig, type ConfigLayers, type ConfigSource } from './config';
import { MissingSignerError } from './errors';
import { JWT, TokenType } from './jwt';
import { KeyRing, type JwkSet } from './key-ring';
import { RemoteJwks } from './remote-jwks';
import { DEFAULT_CACHE_SIZE, VerifiedTokenCache } from './verify-cache';
import { checkSignedToken, type KeyLookup, type TokenCheck, type VerifyPolicy } from './verify';
import type { Claims, Scope } from './types';

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
  authToken(subject: string | number, scope?: Scope | null, claims?: Claims): JWT {
    const signer = this.#requireSigner();
    const token = new JWT(TokenType.AUTH, subject, scope, claims);
    token.sign(signer);
    return token;
  }

  /** Issues a signed refresh token; it carries a random `rid` and never a scope. */
  refreshToken(subject: string | number): JWT {
    const signer = this.#requireSigner();
    const token = new JWT(TokenType.REFRESH, subject);
    token.sign(signer);
    return token;
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
