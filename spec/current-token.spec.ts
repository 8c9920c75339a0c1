/**
 * `currentToken`, `getCurrentToken()` and `NoTokenContextError` (API.md §4): the token of the current request,
 * readable anywhere in its call stack (typedi services, after awaits, in timers), never another request's, and safe to
 * await, print and serialise outside a request.
 */
import 'reflect-metadata';
import { expect } from 'chai';
import { Agent } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { inspect } from 'node:util';
import { Get, JsonController, QueryParam, useExpressServer } from 'routing-controllers';
import { Container, Service } from 'typedi';
import {
  AuthManager,
  currentToken,
  getCurrentToken,
  JwtAuthError,
  JWT,
  NoTokenContextError,
  RequireToken,
} from 'routing-controllers-jwt';
import { configFor } from './support/keys';
import { bearer, listen, send, type RunningServer } from './support/server';
import { appWithManager } from './support/require-token';

/** Reads currentToken.sub, or names the error reading it threw. */
function readSub(): string {
  try {
    return String(currentToken.sub);
  } catch (error) {
    return `threw ${(error as Error).name}`;
  }
}

@Service()
class TokenReader {
  /** currentToken.sub after an await, in a setTimeout callback and in a setImmediate callback. */
  async readings(waitMs: number): Promise<string[]> {
    await delay(waitMs);
    const afterAwait = readSub();
    const inTimeout = await new Promise<string>((resolve) => {
      setTimeout(() => resolve(readSub()), waitMs % 3);
    });
    const inImmediate = await new Promise<string>((resolve) => {
      setImmediate(() => resolve(readSub()));
    });
    return [afterAwait, inTimeout, inImmediate];
  }
}

@Service()
class AuditService {
  constructor(private readonly reader: TokenReader) {}

  async collect(waitMs: number): Promise<string[]> {
    await Promise.resolve();
    return this.reader.readings(waitMs);
  }
}

@Service()
class ReportService {
  constructor(private readonly audit: AuditService) {}

  async build(waitMs: number): Promise<string[]> {
    await delay(waitMs % 2);
    return this.audit.collect(waitMs);
  }
}

@JsonController('/ct')
class CurrentTokenController {
  @Get('/deep')
  @RequireToken()
  async deep(@QueryParam('wait') wait: number) {
    return { readings: await Container.get(ReportService).build(wait) };
  }

  @Get('/inside')
  @RequireToken()
  inside() {
    const token = getCurrentToken();
    return {
      isJwt: currentToken instanceof JWT,
      same: token !== undefined && token.signed === currentToken.signed,
      inspected: inspect(currentToken),
      json: JSON.parse(JSON.stringify(currentToken)) as unknown,
      hasSub: 'sub' in currentToken,
    };
  }

  @Get('/unprotected')
  unprotected() {
    return { token: getCurrentToken()?.sub ?? null, read: readSub() };
  }
}

describe('currentToken', () => {
  describe('outside a request', () => {
    it('reading a property throws NoTokenContextError saying why', () => {
      let thrown: unknown;
      try {
        void currentToken.sub;
      } catch (error) {
        thrown = error;
      }
      expect(thrown).to.be.instanceOf(NoTokenContextError);
      expect(thrown).to.be.instanceOf(JwtAuthError);
      expect((thrown as NoTokenContextError).code).to.equal('ERR_JWT_NO_TOKEN_CONTEXT');
      expect((thrown as Error).message).to.include('RequireToken');
      expect(() => currentToken.claims).to.throw(NoTokenContextError);
      expect(() => currentToken.signed).to.throw(NoTokenContextError);
    });

    it('getCurrentToken() is undefined', () => {
      expect(getCurrentToken()).to.equal(undefined);
    });

    it('await currentToken does not throw', async () => {
      const awaited: unknown = await currentToken;
      expect(awaited === currentToken).to.equal(true);
    });

    it('JSON.stringify(currentToken) does not throw and reveals nothing', () => {
      expect(JSON.stringify(currentToken)).to.equal('null');
      expect(JSON.stringify({ token: currentToken })).to.equal('{"token":null}');
    });

    it('util.inspect (console.log) and string conversion do not throw', () => {
      const shown = inspect(currentToken);
      expect(shown).to.be.a('string').and.not.equal('');
      expect(inspect({ nested: currentToken })).to.be.a('string');
      expect(`${currentToken as unknown as string}`).to.be.a('string');
      expect(String(currentToken)).to.be.a('string');
    });

    it('has no keys and no properties', () => {
      expect(Object.keys(currentToken)).to.deep.equal([]);
      expect('sub' in currentToken).to.equal(false);
    });
  });

  describe('inside requests', () => {
    const issuer = 'https://current-token.example';
    let manager: AuthManager;
    let server: RunningServer;

    before(async () => {
      const built = appWithManager(configFor('HS256', issuer));
      manager = built.manager;
      useExpressServer(built.app, { controllers: [CurrentTokenController] });
      server = await listen(built.app);
    });

    after(() => server.close());

    it('200 concurrent requests each read their own token three calls deep, after await, in setTimeout and setImmediate', async () => {
      const subs = Array.from({ length: 200 }, (_, i) => `user-${i}`);
      const tokens = subs.map((sub) => manager.authToken(sub).signed);
      const replies = await Promise.all(
        tokens.map((token, i) => send(`${server.url}/ct/deep?wait=${(i * 7) % 13}`, { headers: bearer(token) })),
      );
      const mismatches: string[] = [];
      replies.forEach((reply, i) => {
        const expected = { readings: [subs[i], subs[i], subs[i]] };
        if (reply.status !== 200 || JSON.stringify(reply.json) !== JSON.stringify(expected)) {
          mismatches.push(`${subs[i]}: ${reply.status} ${reply.text}`);
        }
      });
      expect(mismatches).to.deep.equal([]);
      expect(replies).to.have.length(200);
    });

    it('is the verified JWT: instanceof JWT, inspectable with its sub, serialisable', async () => {
      const token = manager.authToken('inspect-user-42', 'read');
      const reply = await send(`${server.url}/ct/inside`, { headers: bearer(token.signed) });
      expect(reply.status, reply.text).to.equal(200);
      const body = reply.json as { isJwt: boolean; same: boolean; inspected: string; json: { claims: { sub: string } }; hasSub: boolean };
      expect(body.isJwt).to.equal(true);
      expect(body.same).to.equal(true);
      expect(body.inspected).to.include('inspect-user-42');
      expect(body.json.claims.sub).to.equal('inspect-user-42');
      expect(body.hasSub).to.equal(true);
    });

    it('security: an unprotected action never sees the token of an earlier request on the same connection', async () => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const token = bearer(manager.authToken('earlier-user').signed);
        const first = await send(`${server.url}/ct/deep?wait=1`, { headers: token, agent });
        expect(first.json).to.deep.equal({ readings: ['earlier-user', 'earlier-user', 'earlier-user'] });
        const second = await send(`${server.url}/ct/unprotected`, { headers: token, agent });
        expect(second.localPort).to.equal(first.localPort);
        expect(second.status, second.text).to.equal(200);
        expect(second.json).to.deep.equal({ token: null, read: 'threw NoTokenContextError' });
      } finally {
        agent.destroy();
      }
    });

    it('the token context does not leak into the code that sent the request', async () => {
      await send(`${server.url}/ct/inside`, { headers: bearer(manager.authToken('u1').signed) });
      expect(getCurrentToken()).to.equal(undefined);
      expect(() => currentToken.sub).to.throw(NoTokenContextError);
    });
  });
});
