/**
 * The library's error classes. Every error carries a stable string `code` so that callers can
 * `switch (err.code)` instead of matching messages.
 */

/**
 * Base class of every error this library throws outside of an HTTP response.
 *
 * @example
 * ```ts
 * try { Container.get(AuthManager); } catch (err) {
 *   if (err instanceof JwtAuthError) console.error(err.code, err.message);
 * }
 * ```
 */
export class JwtAuthError extends Error {
  /** A stable, machine-readable identifier of the kind of failure. */
  readonly code: string = 'ERR_JWT_AUTH';

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Thrown when a manager that has no signer (it was never configured) is asked to sign or verify. */
export class MissingSignerError extends JwtAuthError {
  override readonly code = 'ERR_JWT_MISSING_SIGNER';

  constructor(message = 'The AuthManager has no signer: configure it (initApp, or Container.get(AuthManager)) first') {
    super(message);
  }
}

/** Thrown when a required configuration value (e.g. `JWT_SECRET`) is not set anywhere. */
export class MissingConfigError extends JwtAuthError {
  override readonly code = 'ERR_JWT_MISSING_CONFIG';

  /** @param configValue - The name of the missing value, e.g. `"JWT_SECRET"`. */
  constructor(readonly configValue: string) {
    super(`Missing config value "${configValue}"`);
  }
}

/** Thrown when a configuration value is set but unusable; the message says what to fix. */
export class InvalidConfigError extends JwtAuthError {
  override readonly code = 'ERR_JWT_INVALID_CONFIG';

  /**
   * @param configValue - The name of the offending value, e.g. `"JWT_AUTHMAXAGE"`.
   * @param reason - Why it is refused and how to make a proper one.
   */
  constructor(
    readonly configValue: string,
    reason: string,
  ) {
    super(`Invalid config "${configValue}": ${reason}`);
  }
}

/**
 * Thrown by `JWT.fromSignedToken`/`AuthManager.convertToken` for anything that is not a well-formed token carrying
 * the required claims. The message never contains the token.
 */
export class InvalidTokenError extends JwtAuthError {
  override readonly code = 'ERR_JWT_INVALID_TOKEN';

  constructor(message = 'The token is not a well-formed JWT with the required claims') {
    super(message);
  }
}
