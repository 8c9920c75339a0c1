/**
 * Shared harness of the security suite (issue 5): one real routing-controllers app per describe on Express with its
 * own AuthManager, a liveness check after every test, a guard against unhandled rejections and uncaught exceptions,
 * and the one assertion every refused request must pass (`expectRejected`).
 */
import 'reflect-metadata';
import { expect } from 'chai';
import express from 'express';
import { createHmac, createPublicKey } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { useExpressServer } from 'routing-controllers';
import { AuthManager } from 'routing-controllers-jwt';
import { listen, send, type Reply, type RunningServer, type SendOptions } from '../support/server';

/** Config values as `configFor` returns them. */
export type Config = Record<string, string>;

/** A controller class, as `useExpressServer` takes it. */
export type ControllerClass = abstract new (...args: never[]) => object;

/** Strings shorter than this are not checked for echoes: they would match ordinary words of a message. */
const MIN_SECRET_LENGTH = 16;

/** What a refused request must look like. */
export interface RejectedExpectation {
  status: 401 | 403;
  /**
   * Strings that must appear neither in the body nor in any header value: the token sent, the HMAC secret, the PEM
   * keys. Strings shorter than 16 characters are skipped (they are not secrets, and would match plain words).
   */
  secrets: readonly string[];
  /**
   * The expected issuer: checked against the BODY only, since `WWW-Authenticate` names it as the realm by contract
   * (and, when given, the realm is checked to be exactly it).
   */
  issuer?: string;
  /**
   * The stable error code, when the test pins which defence refused the request; a list when more than one defence
   * may fairly catch it first (e.g. a non-canonical signature: the parser or the signature check).
   */
  code?: string | readonly string[];
}

function headerValues(reply: Reply): string[] {
  const values: string[] = [];
  for (const value of Object.values(reply.headers)) {
    if (Array.isArray(value)) values.push(...value);
    else if (value !== undefined) values.push(String(value));
  }
  return values;
}

/**
 * Asserts a refused request: the status; a JSON body of exactly `{ name, message, code }` (no stack); no secret in
 * the body or any header value; the issuer nowhere in the body; a `WWW-Authenticate: Bearer ...` challenge whose
 * `error` fits the status (RFC 6750 §3).
 */
export function expectRejected(reply: Reply, expected: RejectedExpectation): void {
  expect(reply.status, `status; body: ${reply.text}`).to.equal(expected.status);
  expect(reply.headers['content-type'], 'content-type').to.match(/^application\/json/);
  expect(reply.json, 'body is JSON').to.be.an('object');
  const body = reply.json as Record<string, unknown>;
  expect(Object.keys(body).sort(), 'body keys').to.deep.equal(['code', 'message', 'name']);
  expect(body.name).to.equal(expected.status === 401 ? 'TokenUnauthorizedError' : 'TokenForbiddenError');
  expect(body.message).to.be.a('string').and.not.equal('');
  expect(body.code).to.be.a('string').and.match(/^ERR_TOKEN_[A-Z_]+$/);
  if (typeof expected.code === 'string') expect(body.code, 'code').to.equal(expected.code);
  else if (expected.code !== undefined) expect(expected.code, 'code').to.include(body.code);
  expect(reply.text, 'no stack frames').not.to.match(/\bat .+:\d+:\d+/);
  expect(reply.text).not.to.include('"stack"');

  const headers = headerValues(reply);
  for (const secret of expected.secrets) {
    if (secret.length < MIN_SECRET_LENGTH) continue;
    expect(reply.text.includes(secret), `body echoes a secret (${secret.slice(0, 24)}...)`).to.equal(false);
    for (const value of headers) {
      expect(value.includes(secret), `a header echoes a secret (${secret.slice(0, 24)}...)`).to.equal(false);
    }
  }

  const challenge = reply.headers['www-authenticate'];
  expect(challenge, 'WWW-Authenticate').to.be.a('string');
  expect(challenge).to.match(/^Bearer(?: |$)/);
  const error = /(?:^|[ ,])error="([^"]*)"/.exec(challenge ?? '')?.[1];
  if (expected.status === 403) expect(error, 'RFC 6750 error').to.equal('insufficient_scope');
  else expect([undefined, 'invalid_token'], 'RFC 6750 error').to.include(error);

  if (expected.issuer !== undefined) {
    expect(reply.text.includes(expected.issuer), 'body echoes the issuer').to.equal(false);
    expect(challenge).to.include(`realm="${expected.issuer}"`);
  }
}

/** The strings a leak would show: the secret, the PEM keys and their base64 lines, and any other text given. */
export function secretStrings(config: Config, ...sent: string[]): string[] {
  const strings: string[] = [];
  for (const value of [config.JWT_SECRET, config.JWT_PUBLICKEY]) {
    if (value === undefined) continue;
    strings.push(value);
    // A PEM echoed in part (one line of it) is still a leak.
    for (const line of value.split('\n')) if (!line.startsWith('-----')) strings.push(line);
  }
  for (const text of sent) {
    strings.push(text);
    // So is any segment of a token.
    strings.push(...text.split('.'));
  }
  return strings.filter((text) => text.length >= MIN_SECRET_LENGTH);
}

/** One running app under attack, available from `before()` on. */
export interface SecurityServer {
  readonly url: string;
  readonly manager: AuthManager;
  readonly config: Config;
  readonly issuer: string;
  /** GET `path` (relative to the server) with `headers`. */
  get(path: string, headers?: SendOptions['headers']): Promise<Reply>;
  /** `expectRejected` with this server's secrets and issuer, plus the strings sent. */
  rejected(reply: Reply, expected: { status: 401 | 403; code?: RejectedExpectation['code']; sent?: readonly string[] }): void;
  /** A fresh, valid auth token of this server. */
  authToken(subject?: string | number, scope?: Parameters<AuthManager['authToken']>[1], claims?: Parameters<AuthManager['authToken']>[2]): string;
}

/** Options of `useSecurityServer`. */
export interface SecurityServerOptions {
  config: Config;
  controllers: ControllerClass[];
  /** A route guarded by a plain `@RequireToken()`; after every test it must answer a valid token with 200. */
  healthPath: string;
}

/**
 * Registers, in the calling `describe`: `before` (the app, its manager and the process listeners), `afterEach`
 * (the server still answers a valid request with 200) and `after` (no unhandledRejection or uncaughtException was
 * seen; server closed; listeners removed).
 */
export function useSecurityServer(options: SecurityServerOptions): SecurityServer {
  const { config } = options;
  let running: RunningServer | undefined;
  let manager: AuthManager | undefined;
  const processEvents: string[] = [];
  const onRejection = (reason: unknown): void => {
    processEvents.push(`unhandledRejection: ${String(reason)}`);
  };
  const onException = (error: unknown): void => {
    processEvents.push(`uncaughtException: ${String(error)}`);
  };

  const need = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the security server is only available from before() on');
    return value;
  };

  const server: SecurityServer = {
    get url() {
      return need(running).url;
    },
    get manager() {
      return need(manager);
    },
    config,
    issuer: config.JWT_ISSUER,
    get: (path, headers) => send(`${need(running).url}${path}`, { headers }),
    rejected: (reply, expected) =>
      expectRejected(reply, {
        status: expected.status,
        code: expected.code,
        issuer: config.JWT_ISSUER,
        secrets: secretStrings(config, ...(expected.sent ?? [])),
      }),
    authToken: (subject = 'health', scope, claims) => need(manager).authToken(subject, scope, claims).signed,
  };

  before(async () => {
    process.on('unhandledRejection', onRejection);
    process.on('uncaughtException', onException);
    const app = express();
    // Express's final handler would print the stack of router errors (a malformed %-escape: 400) to the console;
    // in env "test" it does not. Nothing else of the app changes.
    app.set('env', 'test');
    for (const [name, value] of Object.entries(config)) app.set(name, value);
    manager = new AuthManager(app);
    useExpressServer(app, { controllers: options.controllers });
    running = await listen(app);
  });

  afterEach(async () => {
    const reply = await server.get(options.healthPath, { authorization: `Bearer ${server.authToken('health')}` });
    expect(reply.status, `the server must still answer a valid request; got ${reply.text}`).to.equal(200);
  });

  after(async () => {
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
    await running?.close();
    // Let anything scheduled by the last requests surface before judging.
    await new Promise((resolve) => setImmediate(resolve));
    expect(processEvents, 'unhandledRejection / uncaughtException seen').to.deep.equal([]);
  });

  return server;
}

/**
 * Sends `GET path` over a raw socket with exactly the header lines given (Node's client would merge repeated Cookie
 * headers into one line before sending) and `Connection: close`, and parses the reply.
 */
export function rawGet(url: string, path: string, headerLines: readonly string[]): Promise<Reply> {
  const { hostname, port } = new URL(url);
  const request = [`GET ${path} HTTP/1.1`, `Host: ${hostname}:${port}`, ...headerLines, 'Connection: close', '', ''].join('\r\n');
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(request));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const raw = Buffer.concat(chunks).toString('latin1');
      const split = raw.indexOf('\r\n\r\n');
      const [statusLine, ...lines] = raw.slice(0, split).split('\r\n');
      const headers: IncomingHttpHeaders = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim().toLowerCase();
        headers[name] ??= line.slice(colon + 1).trim();
      }
      const text = Buffer.from(raw.slice(split + 4), 'latin1').toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, text, json, localPort: socket.localPort });
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Token crafting. Header and payload: an object (JSON.stringify'd) or raw JSON text (to write what JSON.stringify
// cannot: `1e309`, own `__proto__` keys, non-objects, broken JSON).

/** base64url of JSON (or of raw text as is). */
export function b64(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value), 'utf8').toString('base64url');
}

/** Standard base64 (with `+`, `/` and `=` padding) of JSON or raw text. */
export function b64std(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value), 'utf8').toString('base64');
}

/** An HMAC signature (base64url) of `input` with `key` and `hash`. */
export function hmac(input: string, key: string | Buffer, hash: 'sha256' | 'sha384' | 'sha512' = 'sha256'): string {
  return createHmac(hash, key).update(input).digest('base64url');
}

/** A compact token HMAC'd over exactly `header.payload` as given. */
export function hmacSigned(header: unknown, payload: unknown, key: string | Buffer, hash: 'sha256' | 'sha384' | 'sha512' = 'sha256'): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${hmac(input, key, hash)}`;
}

/** Seconds since the epoch, whole. */
export const now = (): number => Math.floor(Date.now() / 1000);

/** Registered claims for `issuer`, valid for an hour, with `overrides` applied. */
export function claims(issuer: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const iat = now();
  return { sub: 'user-1', type: 'auth', iss: issuer, iat, exp: iat + 3600, ...overrides };
}

/** `JSON.stringify(claims(issuer))` without its closing brace followed by `,` + `extra` + `}`: raw keys appended. */
export function rawClaims(issuer: string, extra: string, overrides: Record<string, unknown> = {}): string {
  return `${JSON.stringify(claims(issuer, overrides)).slice(0, -1)},${extra}}`;
}

/** The PKCS#1 (`-----BEGIN RSA PUBLIC KEY-----`) form of an SPKI PEM. */
export function pkcs1Pem(spkiPem: string): string {
  return createPublicKey(spkiPem).export({ type: 'pkcs1', format: 'pem' }).toString();
}
