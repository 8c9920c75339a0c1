/**
 * Two tokens are never byte-identical: `iat` has whole seconds, so two logins of one user within a second would
 * otherwise get the same auth token. Auth tokens carry a random `uti` (or, with JWT_AUTHJTI, their `jti`); a `uti` is
 * never looked up, so it costs no store round trip.
 */
import 'reflect-metadata';
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { Get, JsonController, useExpressServer } from 'routing-controllers';
import { AuthManager, MemoryRevocationStore, RequireToken } from 'routing-controllers-jwt';
import { appWithManager } from '../support/require-token';
import { bearer, listen, send } from '../support/server';
import { decodeSegment } from '../support/tokens';

/** The memory store, counting the lookups guards make. */
class CountingStore extends MemoryRevocationStore {
  lookups = 0;

  override async isRevoked(keys: readonly string[]): Promise<boolean> {
    this.lookups++;
    return super.isRevoked(keys);
  }

  // The guard asks the memory store at once (no round trip): a lookup all the same.
  override isRevokedNow(keys: readonly string[]): boolean {
    this.lookups++;
    return super.isRevokedNow(keys);
  }
}

@JsonController('/unique')
class UniqueController {
  @Get('/')
  @RequireToken()
  get(): { ok: boolean } {
    return { ok: true };
  }
}

const settings = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  JWT_ISSUER: 'unique-tokens',
  JWT_AUTHTYPE: 'HS256',
  JWT_SECRET: randomBytes(48).toString('base64url'),
  ...extra,
});

describe('unique tokens', () => {
  it('security: two auth tokens for the same subject and claims in the same second differ', () => {
    const manager = new AuthManager(settings());
    const tokens = Array.from({ length: 20 }, () => manager.authToken('alice', 'profile', { admin: false }).signed);
    expect(new Set(tokens).size).to.equal(tokens.length);
    const sessions = Array.from({ length: 5 }, () => manager.sessionTokens('alice', 'profile').authToken.signed);
    expect(new Set(sessions).size).to.equal(sessions.length);
  });

  it('without JWT_AUTHJTI, auth tokens carry a random uti and no jti', () => {
    const claims = decodeSegment(new AuthManager(settings()).authToken('alice').signed, 1);
    expect(claims).to.not.have.property('jti');
    expect(claims.uti).to.be.a('string').with.length.greaterThanOrEqual(22);
  });

  it('with JWT_AUTHJTI, auth tokens carry their jti (what they are revoked by) and no uti', () => {
    const claims = decodeSegment(new AuthManager(settings({ JWT_AUTHJTI: true })).authToken('alice').signed, 1);
    expect(claims.jti).to.be.a('string');
    expect(claims).to.not.have.property('uti');
  });

  it('rotation gives a new auth token each time, even within one second', async () => {
    const manager = new AuthManager(settings());
    const first = manager.sessionTokens('alice', 'profile');
    const rotated = await manager.rotate(first.refreshToken, 'profile');
    expect(rotated.authToken.signed).to.not.equal(first.authToken.signed);
  });

  it('security: the uti costs no revocation-store lookup per request; a jti (JWT_AUTHJTI) does', async () => {
    for (const authJti of [false, true]) {
      const store = new CountingStore();
      const { app, manager } = appWithManager(settings({ JWT_REVOCATIONSTORE: store, JWT_AUTHJTI: authJti }) as Record<string, string>);
      useExpressServer(app, { controllers: [UniqueController] });
      const server = await listen(app);
      try {
        for (let i = 0; i < 3; i++) {
          expect((await send(`${server.url}/unique/`, { headers: bearer(manager.authToken('alice').signed) })).status).to.equal(200);
        }
      } finally {
        await server.close();
      }
      expect(store.lookups > 0, `store looked up with JWT_AUTHJTI=${authJti}`).to.equal(authJti);
    }
  });
});
