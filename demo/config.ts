/**
 * The demo's configuration: values from the environment, then from demo/.env (the environment wins), turned into
 * the library's typedi tokens. The library checks them when the AuthManager is built, here, at start-up, so a wrong
 * value stops the demo before it listens.
 */
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { Container } from 'typedi';
import {
  AuthManager,
  AuthType,
  JWT_AUTHMAXAGE,
  JWT_AUTHTYPE,
  JWT_ISSUER,
  JWT_PUBLICKEY,
  JWT_REFRESHGRACE,
  JWT_REFRESHMAXAGE,
  JWT_SECRET,
  JwtAuthError,
} from 'routing-controllers-jwt';
import { parseCorsOrigins } from './http/cors';

/** The .env file read when DEMO_ENV_FILE is not set: demo/.env next to the sources (this file runs from build/demo). */
export const DEFAULT_ENV_FILE = resolve(__dirname, '..', '..', 'demo', '.env');

/** How to make a secret, quoted in messages. */
const MAKE_A_SECRET = `node -e "console.log(require('crypto').randomBytes(64).toString('base64url'))"`;

/** The demo refuses to start; `message` is one line that says what to set. */
export class StartupRefusal extends Error {
  override readonly name = 'StartupRefusal';
}

/** What the rest of the demo needs to know once the tokens are set. */
export interface DemoConfig {
  port: number;
  nodeEnv: string;
  issuer: string;
  algorithm: string;
  /** The .env file that was read, if any. */
  envFile: string | undefined;
  /** Where the signing key came from. */
  secretFrom: 'environment' | 'generated';
  /** Seconds; for cookie lifetimes. */
  authMaxAge: number;
  refreshMaxAge: number;
  /** Exact origins allowed to call the demo from another origin (DEMO_CORS_ORIGINS); none by default. */
  corsOrigins: string[];
}

type Values = Record<string, string | undefined>;

/** The .env file's values; an explicit DEMO_ENV_FILE must exist, the default one may be absent. */
function readEnvFile(env: Values): { file: string | undefined; values: Values } {
  const explicit = env.DEMO_ENV_FILE;
  const file = explicit ? resolve(explicit) : DEFAULT_ENV_FILE;
  if (!existsSync(file)) {
    if (explicit) throw new StartupRefusal(`DEMO_ENV_FILE=${explicit}: no such file`);
    return { file: undefined, values: {} };
  }
  return { file, values: parseEnv(readFileSync(file, 'utf8')) };
}

/**
 * The algorithm named by JWT_AUTHTYPE. The library's own message for an unknown name quotes the value, and a value in
 * the wrong variable may be a secret pasted by mistake: this one names the variable only.
 */
function authTypeOf(algorithm: string): AuthType {
  try {
    return AuthType.from(algorithm);
  } catch {
    const names = AuthType.values().join(', ');
    throw new StartupRefusal(`JWT_AUTHTYPE is not a supported algorithm (the names are case-sensitive); use one of ${names}`);
  }
}

/** The signing key made at start-up for `authType`: what it is, and the key (pair) itself. */
interface GeneratedKey {
  description: string;
  secret: string | KeyObject;
  publicKey?: KeyObject;
}

/**
 * A signing key made at start-up, for development only (tokens do not survive a restart), of the algorithm's own
 * family: a random secret for HS*, an RSA pair for RS* and PS* (PS* takes plain RSA keys), an EC pair on the
 * algorithm's curve for ES*, an Ed25519 pair for EdDSA and Ed25519.
 */
function generatedKey(authType: AuthType): GeneratedKey {
  switch (authType.family) {
    case 'hmac':
      return { description: '64-byte secret', secret: randomBytes(64).toString('base64url') };
    case 'rsa':
    case 'rsa-pss': {
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      return { description: 'RSA 2048-bit key pair', secret: privateKey, publicKey };
    }
    case 'ec': {
      if (authType.curve === null) throw new Error(`${authType.name} has no curve`);
      // Node.js takes the JWK curve names (P-256, P-384, P-521) as well as its own.
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: authType.curve });
      return { description: `EC ${authType.curve} key pair`, secret: privateKey, publicKey };
    }
    case 'okp': {
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      return { description: 'Ed25519 key pair', secret: privateKey, publicKey };
    }
  }
}

function parsePort(value: string | undefined): number {
  if (value === undefined) return 3000;
  const port = /^\d{1,5}$/.test(value) ? Number(value) : NaN;
  if (!(port >= 0 && port <= 65535)) throw new StartupRefusal(`PORT=${value} is not a port number; use e.g. PORT=3000`);
  return port;
}

/**
 * Reads the configuration, sets the library's typedi tokens and builds the AuthManager once, so that a missing or
 * wrong value is reported now rather than on the first request.
 *
 * @param warn - Where warnings go (the generated-secret warning).
 * @throws StartupRefusal with a one-line message when the demo must not start.
 */
export function configure(env: Values = process.env, warn: (line: string) => void = console.warn): DemoConfig {
  const { file, values: fromFile } = readEnvFile(env);
  // An empty value counts as unset, as in the library.
  const value = (name: string): string | undefined => env[name] || fromFile[name] || undefined;

  const nodeEnv = value('NODE_ENV') ?? 'development';
  const port = parsePort(value('PORT'));
  const corsOrigins = parseCorsOrigins(value('DEMO_CORS_ORIGINS'));
  if (!Array.isArray(corsOrigins)) throw new StartupRefusal(corsOrigins.error);
  const issuer = value('JWT_ISSUER') ?? 'routing-controllers-jwt-demo';
  const authType = authTypeOf(value('JWT_AUTHTYPE') ?? 'HS256');
  let secret: string | KeyObject | undefined = value('JWT_SECRET');
  let publicKey: string | KeyObject | undefined = value('JWT_PUBLICKEY');
  let secretFrom: DemoConfig['secretFrom'] = 'environment';

  try {
    if (secret === undefined) {
      if (nodeEnv === 'production') {
        throw new StartupRefusal(
          `refusing to start: JWT_SECRET is not set and NODE_ENV=production. Set JWT_SECRET in the environment or in demo/.env; make one with: ${MAKE_A_SECRET}`,
        );
      }
      if (authType.family !== 'hmac' && publicKey !== undefined) {
        throw new StartupRefusal(`JWT_PUBLICKEY is set but JWT_SECRET is not: set the private key that goes with it as JWT_SECRET`);
      }
      const generated = generatedKey(authType);
      ({ secret, publicKey } = generated);
      secretFrom = 'generated';
      warn(
        `warning: JWT_SECRET is not set, so a random ${generated.description} was generated ` +
          `for this run: tokens will not survive a restart. Set JWT_SECRET in demo/.env (see demo/.env.example) to keep them.`,
      );
    }

    Container.set(JWT_ISSUER, issuer);
    Container.set(JWT_AUTHTYPE, authType);
    Container.set(JWT_SECRET, secret);
    if (publicKey !== undefined) Container.set(JWT_PUBLICKEY, publicKey);
    const authMaxAge = value('JWT_AUTHMAXAGE');
    if (authMaxAge !== undefined) Container.set(JWT_AUTHMAXAGE, authMaxAge);
    const refreshMaxAge = value('JWT_REFRESHMAXAGE');
    if (refreshMaxAge !== undefined) Container.set(JWT_REFRESHMAXAGE, refreshMaxAge);
    const refreshGrace = value('JWT_REFRESHGRACE');
    if (refreshGrace !== undefined) Container.set(JWT_REFRESHGRACE, refreshGrace);

    // Building the manager checks every value (key strength, max ages, the algorithm) once.
    const signer = Container.get(AuthManager).signer;
    if (signer === null) throw new StartupRefusal('the AuthManager was built without a signer');
    return {
      port,
      nodeEnv,
      issuer,
      algorithm: authType.name,
      envFile: file,
      secretFrom,
      authMaxAge: signer.authMaxAge,
      refreshMaxAge: signer.refreshMaxAge,
      corsOrigins,
    };
  } catch (error) {
    // The library's configuration errors already name the value and say how to fix it.
    if (error instanceof JwtAuthError) throw new StartupRefusal(error.message);
    throw error;
  }
}
