/**
 * Which AuthManager a request is checked with (API.md §3, issue 3): the one attached to the request's app (initApp)
 * first, then the global typedi Container's; and failing closed when there is none.
 */
import 'reflect-metadata';
import { expect } from 'chai';
import express from 'express';
import { Get, JsonController, useExpressServer } from 'routing-controllers';
import { Container } from 'typedi';
import {
  AuthManager,
  currentToken,
  JWT_AUTHMAXAGE,
  JWT_AUTHTYPE,
  JWT_ISSUER,
  JWT_PUBLICKEY,
  JWT_REFRESHMAXAGE,
  JWT_SECRET,
  RequireToken,
  requireToken,
} from 'routing-controllers-jwt';
import { configFor, hmacSecret } from '../support/keys';
import { bearer, listen, send, type RunningServer } from '../support/server';
import { appWithManager, expectRejection } from '../support/require-token';

const CONFIG_NAMES = ['JWT_ISSUER', 'JWT_AUTHTYPE', 'JWT_SECRET', 'JWT_AUTHMAXAGE', 'JWT_REFRESHMAXAGE', 'JWT_PUBLICKEY'];
const CONFIG_TOKENS = [JWT_ISSUER, JWT_AUTHTYPE, JWT_SECRET, JWT_AUTHMAXAGE, JWT_REFRESHMAXAGE, JWT_PUBLICKEY];

@JsonController('/resolution')
class ResolutionController {
  @Get('/who')
  @RequireToken()
  who() {
    return { sub: currentToken.sub, iss: currentToken.iss };
  }
}

/** Hides the JWT_* environment variables for the enclosing describe, and restores them after. */
function withoutConfigEnvironment(): void {
  const saved: Record<string, string | undefined> = {};
  before(() => {
    for (const name of CONFIG_NAMES) {
      saved[name] = process.env[name];
      delete process.env[name];
    }
  });
  after(() => {
    for (const name of CONFIG_NAMES) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });
}

describe('the AuthManager a request uses', () => {
  withoutConfigEnvironment();

  describe('with no manager configured anywhere', () => {
    let server: RunningServer;

    before(async () => {
      Container.remove(CONFIG_TOKENS);
      // Forget a manager another spec may have built, so that the global one has to be built (and fails) here.
      Container.reset();
      const app = express();
      useExpressServer(app, { controllers: [ResolutionController] });
      app.get('/plain', requireToken(), (_req, res) => {
        res.json({ reached: true });
      });
      server = await listen(app);
    });

    after(() => server.close());

    it('security: fails closed with a 500 { name, message, code } naming the missing value', async () => {
      for (const path of ['/resolution/who', '/plain']) {
        const reply = await send(`${server.url}${path}`, { headers: bearer('a.b.c') });
        expect(reply.status, reply.text).to.equal(500);
        const body = reply.json as Record<string, unknown>;
        expect(Object.keys(body).sort()).to.deep.equal(['code', 'message', 'name']);
        expect(body.code).to.equal('ERR_JWT_MISSING_CONFIG');
        expect(body.message).to.match(/JWT_/);
        expect(reply.text).not.to.include('a.b.c');
      }
    });
  });

  describe('with the global typedi Container configured', () => {
    const attachedIssuer = 'https://attached.example';
    let containerManager: AuthManager;
    let containerIssuer: string;

    before(() => {
      Container.set(JWT_ISSUER, 'https://container.example');
      Container.set(JWT_AUTHTYPE, 'HS256');
      Container.set(JWT_SECRET, hmacSecret());
      // Container.get caches the manager it builds; should one already exist, it is the one requests will use.
      containerManager = Container.get(AuthManager);
      containerIssuer = containerManager.signer?.issuer as string;
      expect(containerIssuer).to.be.a('string');
      expect(containerIssuer).not.to.equal(attachedIssuer);
    });

    after(() => {
      Container.remove(CONFIG_TOKENS);
      Container.reset();
    });

    describe('an app with its own manager (new AuthManager(app))', () => {
      let attached: AuthManager;
      let server: RunningServer;

      before(async () => {
        const built = appWithManager(configFor('HS256', attachedIssuer));
        attached = built.manager;
        useExpressServer(built.app, { controllers: [ResolutionController] });
        server = await listen(built.app);
      });

      after(() => server.close());

      it('checks tokens with the attached manager, not the container\'s', async () => {
        const own = await send(`${server.url}/resolution/who`, { headers: bearer(attached.authToken('attached-user').signed) });
        expect(own.status, own.text).to.equal(200);
        expect(own.json).to.deep.equal({ sub: 'attached-user', iss: attachedIssuer });
        const foreign = containerManager.authToken('container-user').signed;
        expectRejection(await send(`${server.url}/resolution/who`, { headers: bearer(foreign) }), {
          status: 401,
          code: 'ERR_TOKEN_SIGNATURE',
          issuer: attachedIssuer,
          bearerError: 'invalid_token',
          secrets: [foreign, attachedIssuer, containerIssuer],
        });
      });

      it('names the attached manager\'s issuer as the realm', async () => {
        expectRejection(await send(`${server.url}/resolution/who`), { status: 401, code: 'ERR_TOKEN_MISSING', issuer: attachedIssuer, bearerError: null });
      });
    });

    describe('an app initialised with new AuthManager().initApp(app)', () => {
      it('checks tokens with that manager, for @RequireToken and requireToken() alike', async () => {
        const app = express();
        const config = configFor('HS512', 'https://init-app.example');
        for (const [name, value] of Object.entries(config)) app.set(name, value);
        const manager = new AuthManager();
        manager.initApp(app);
        useExpressServer(app, { controllers: [ResolutionController] });
        app.get('/plain', requireToken(), (_req, res) => {
          res.json({ sub: currentToken.sub });
        });
        const server = await listen(app);
        try {
          const token = bearer(manager.authToken('init-user').signed);
          const who = await send(`${server.url}/resolution/who`, { headers: token });
          expect(who.status, who.text).to.equal(200);
          expect(who.json).to.deep.equal({ sub: 'init-user', iss: 'https://init-app.example' });
          const plain = await send(`${server.url}/plain`, { headers: token });
          expect(plain.status, plain.text).to.equal(200);
          const foreign = bearer(containerManager.authToken('container-user').signed);
          expect((await send(`${server.url}/resolution/who`, { headers: foreign })).status).to.equal(401);
          expect((await send(`${server.url}/plain`, { headers: foreign })).status).to.equal(401);
        } finally {
          await server.close();
        }
      });
    });

    describe('an app without a manager of its own', () => {
      let server: RunningServer;
      let other: AuthManager;

      before(async () => {
        other = new AuthManager(configFor('HS256', attachedIssuer));
        const app = express();
        useExpressServer(app, { controllers: [ResolutionController] });
        app.get('/plain', requireToken(), (_req, res) => {
          res.json({ sub: currentToken.sub });
        });
        server = await listen(app);
      });

      after(() => server.close());

      it('checks tokens with the global typedi Container\'s manager', async () => {
        const token = bearer(containerManager.authToken('container-user').signed);
        const who = await send(`${server.url}/resolution/who`, { headers: token });
        expect(who.status, who.text).to.equal(200);
        expect(who.json).to.deep.equal({ sub: 'container-user', iss: containerIssuer });
        const plain = await send(`${server.url}/plain`, { headers: token });
        expect(plain.status, plain.text).to.equal(200);
        expect(plain.json).to.deep.equal({ sub: 'container-user' });
      });

      it('refuses tokens of any other manager', async () => {
        const foreign = other.authToken('other-user').signed;
        expectRejection(await send(`${server.url}/resolution/who`, { headers: bearer(foreign) }), {
          status: 401,
          code: 'ERR_TOKEN_SIGNATURE',
          issuer: containerIssuer,
          bearerError: 'invalid_token',
          secrets: [foreign, containerIssuer],
        });
        expect((await send(`${server.url}/plain`, { headers: bearer(foreign) })).status).to.equal(401);
      });
    });
  });
});
