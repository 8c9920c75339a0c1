/**
 * Finding 8 of the composition review: a revocation must hold for as long as the token it concerns would verify.
 * - revoke() on a verify-only manager kept a 30-day refresh family revoked for 7 days (its own default max age);
 * - family revocation ignored JWT_LEEWAY: a logged-out family rotated again within the leeway;
 * - a refresh token made with `new JWT(REFRESH).sign(signer)` has no family: it was never checked against the store,
 *   and revoke() threw a TypeError about auth tokens.
 * The store here records what it is asked to keep: a real RevocationStore (the memory one) behind a recorder.
 */
import 'reflect-metadata';
import { expect } from 'chai';
import express from 'express';
import {
  AuthData,
  AuthManager,
  AuthType,
  JWT,
  MemoryRevocationStore,
  requireToken,
  TokenType,
  type RevocationStore,
} from 'routing-controllers-jwt';
import { ecPair, hmacSecret } from '../support/keys';
import { bearer, listen, send } from '../support/server';

const ISSUER = 'https://windows.example';
const DAY = 24 * 3600;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const nowSeconds = (): number => Date.now() / 1000;

/** The memory store, recording until when each key is revoked. */
class RecordingStore extends MemoryRevocationStore implements RevocationStore {
  readonly until = new Map<string, number>();

  override async revoke(key: string, expiresAt: number): Promise<void> {
    this.until.set(key, expiresAt);
    return super.revoke(key, expiresAt);
  }
}

describe('revocation windows: a revocation lasts as long as the token it concerns would verify', () => {
  it('security: revoke() on a verify-only manager keeps a 30-day family revoked for 30 days, not its own 7-day default', async () => {
    const store = new RecordingStore();
    const { privateKey, publicKey } = ecPair('P-256');
    const issuer = new AuthManager({
      JWT_ISSUER: ISSUER, JWT_KEYS: [{ kid: 'es', alg: 'ES256', privateKey }], JWT_REFRESHMAXAGE: 30 * DAY, JWT_REVOCATIONSTORE: store,
    });
    // A service that only verifies (a public key, no signer) and revokes, with the library's default max ages.
    const verifier = new AuthManager({ JWT_ISSUER: ISSUER, JWT_KEYS: [{ kid: 'es', alg: 'ES256', publicKey }], JWT_REVOCATIONSTORE: store });
    expect(verifier.signer).to.equal(null);
    const refresh = issuer.refreshToken('alice');
    await verifier.revoke(refresh.signed);
    const until = store.until.get(`fam:{${refresh.claims.fam as string}}`) as number;
    expect(until, 'the family stays revoked at least 30 days from now').to.be.at.least(nowSeconds() + 30 * DAY - 5);
    expect(await issuer.isRevoked(refresh)).to.equal(true);
  });

  it('security: with JWT_LEEWAY a logged-out family stays revoked through the leeway (no rotation after logout)', async function () {
    this.timeout(15_000);
    const store = new RecordingStore();
    const manager = new AuthManager({
      JWT_ISSUER: ISSUER, JWT_AUTHTYPE: 'HS256', JWT_SECRET: hmacSecret(64), JWT_REFRESHMAXAGE: 2, JWT_LEEWAY: 10, JWT_REVOCATIONSTORE: store,
    });
    const refresh = manager.refreshToken('alice');
    await manager.revoke(refresh);
    const until = store.until.get(`fam:{${refresh.claims.fam as string}}`) as number;
    expect(until, 'exp + leeway').to.be.at.least((refresh.exp as number) + 10);
    // Past the token's exp (2 s) and the old window (max age + 1 s), inside the leeway: still refused.
    await sleep(3_500);
    expect(manager.verifyToken(refresh), 'the token itself still verifies within the leeway').to.equal(true);
    const error = await manager.rotate(refresh).then(() => undefined, (err: unknown) => err);
    expect(error).to.have.property('code', 'ERR_TOKEN_REVOKED');
  });

  describe('a refresh token signed by hand (new JWT(REFRESH).sign(signer)) has no fam', () => {
    const secret = hmacSecret(64);
    // JWT_REFRESHGRACE 0: a second presentation is reuse at once, as after the grace window.
    const config = { JWT_ISSUER: ISSUER, JWT_AUTHTYPE: 'HS256', JWT_SECRET: secret, JWT_REFRESHGRACE: 0 };
    const byHand = (): JWT => {
      const token = new JWT(TokenType.REFRESH, 'alice');
      token.sign(new AuthData(AuthType.HS256, secret, ISSUER, 3600, 3600));
      return token;
    };

    it('revoke() revokes it (by its rid) instead of throwing a TypeError about auth tokens', async () => {
      const manager = new AuthManager({ ...config });
      const token = byHand();
      expect(token.claims.fam).to.equal(undefined);
      await manager.revoke(token);
      expect(await manager.isRevoked(token)).to.equal(true);
      const error = await manager.rotate(token).then(() => undefined, (err: unknown) => err);
      expect(error).to.have.property('code', 'ERR_TOKEN_REVOKED');
    });

    it('security: it is checked against the store on a refresh route: a reuse after rotation is 401, and ends the new family', async () => {
      const app = express();
      for (const [name, value] of Object.entries(config)) app.set(name, value);
      const manager = new AuthManager(app);
      app.post('/refresh', requireToken('refresh'), (_req, res) => {
        res.json({ ok: true });
      });
      const server = await listen(app);
      try {
        const token = byHand();
        expect((await send(`${server.url}/refresh`, { method: 'POST', headers: bearer(token.signed ?? '') })).status).to.equal(200);
        const rotated = await manager.rotate(token);
        expect(rotated.refreshToken.claims.fam, 'the rotation starts a family named by the rid').to.equal(token.claims.rid);
        const reuse = await send(`${server.url}/refresh`, { method: 'POST', headers: bearer(token.signed ?? '') });
        expect(reuse.status, reuse.text).to.equal(401);
        const next = await send(`${server.url}/refresh`, { method: 'POST', headers: bearer(rotated.refreshToken.signed) });
        expect(next.status, 'the reuse revoked the family of the rotated token too').to.equal(401);
      } finally {
        await server.close();
      }
    });
  });
});
