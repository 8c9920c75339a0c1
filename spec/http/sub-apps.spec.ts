/**
 * Which AuthManager a request to a mounted sub-app uses: the nearest one attached up the mount chain (the sub-app's
 * own, else its parent's, and so on), else the container's. Inside a mounted app Express sets `req.app` to the
 * sub-app, so a manager attached to the parent alone must still be found there.
 */
import 'reflect-metadata';
import { expect } from 'chai';
import express, { type Express } from 'express';
import { Get, JsonController, useExpressServer } from 'routing-controllers';
import { Container } from 'typedi';
import { AuthManager, currentToken, JWT_AUTHTYPE, JWT_ISSUER, JWT_SECRET, RequireToken, requireToken } from 'routing-controllers-jwt';
import { configFor, hmacSecret } from '../support/keys';
import { bearer, listen, send, type Reply } from '../support/server';
import { appWithManager, expectRejection } from '../support/require-token';
import { isolateConfig } from '../support/isolation';

@JsonController('/rc')
class SubAppController {
  @Get('/who')
  @RequireToken()
  who() {
    return { sub: currentToken.sub, iss: currentToken.iss };
  }
}

/** A sub-app with a plain requireToken() route and, through routing-controllers, SubAppController. */
function guardedSubApp(): Express {
  const sub = express();
  sub.get('/plain', requireToken(), (_req, res) => {
    res.json({ sub: currentToken.sub, iss: currentToken.iss });
  });
  useExpressServer(sub, { controllers: [SubAppController] });
  return sub;
}

/** Requests `paths` on `app` (served on a real port) with `headers`, and answers the replies in order. */
async function sendEach(app: Express, paths: readonly string[], headers: Record<string, string> = {}): Promise<Reply[]> {
  const server = await listen(app);
  try {
    const replies: Reply[] = [];
    for (const path of paths) replies.push(await send(`${server.url}${path}`, { headers }));
    return replies;
  } finally {
    await server.close();
  }
}

const tokenOf = (manager: AuthManager, sub: string): Record<string, string> => bearer(manager.authToken(sub).signed);

describe('the AuthManager of a request to a mounted sub-app', () => {
  isolateConfig();

  const parentIssuer = 'https://parent.example';
  const SUB_ROUTES = ['/sub/plain', '/sub/rc/who'];

  it('uses the manager attached to the parent app (new AuthManager(parent)) for requireToken() and @RequireToken routes', async () => {
    const { app: parent, manager } = appWithManager(configFor('HS256', parentIssuer));
    parent.use('/sub', guardedSubApp());
    for (const reply of await sendEach(parent, SUB_ROUTES, tokenOf(manager, 'alice'))) {
      expect(reply.status, reply.text).to.equal(200);
      expect(reply.json).to.deep.equal({ sub: 'alice', iss: parentIssuer });
    }
  });

  it('refuses (401, realm of the parent\'s issuer) a token of another issuer, and a request without a token', async () => {
    const { app: parent } = appWithManager(configFor('HS256', parentIssuer));
    parent.use('/sub', guardedSubApp());
    const foreign = new AuthManager(configFor('HS256', 'https://foreign.example'));
    for (const reply of await sendEach(parent, SUB_ROUTES, tokenOf(foreign, 'mallory'))) {
      expectRejection(reply, { status: 401, code: 'ERR_TOKEN_SIGNATURE', issuer: parentIssuer, bearerError: 'invalid_token' });
    }
    for (const reply of await sendEach(parent, SUB_ROUTES)) {
      expectRejection(reply, { status: 401, code: 'ERR_TOKEN_MISSING', issuer: parentIssuer, bearerError: null });
    }
  });

  it('uses the manager a parent was initialised with from its settings (initApp)', async () => {
    const parent = express();
    for (const [name, value] of Object.entries(configFor('HS512', parentIssuer))) parent.set(name, value);
    const manager = new AuthManager();
    manager.initApp(parent);
    parent.use('/sub', guardedSubApp());
    for (const reply of await sendEach(parent, SUB_ROUTES, tokenOf(manager, 'bob'))) {
      expect(reply.status, reply.text).to.equal(200);
      expect(reply.json).to.deep.equal({ sub: 'bob', iss: parentIssuer });
    }
  });

  it('finds the manager of the top app from a sub-sub-app two levels down', async () => {
    const { app: top, manager } = appWithManager(configFor('HS256', parentIssuer));
    const middle = express();
    middle.use('/inner', guardedSubApp());
    top.use('/sub', middle);
    const paths = ['/sub/inner/plain', '/sub/inner/rc/who'];
    for (const reply of await sendEach(top, paths, tokenOf(manager, 'carol'))) {
      expect(reply.status, reply.text).to.equal(200);
      expect(reply.json).to.deep.equal({ sub: 'carol', iss: parentIssuer });
    }
    const foreign = new AuthManager(configFor('HS256', 'https://foreign.example'));
    for (const reply of await sendEach(top, paths, tokenOf(foreign, 'mallory'))) expect(reply.status).to.equal(401);
  });

  it('uses a sub-app\'s own manager rather than its parent\'s', async () => {
    const { app: parent, manager: parentManager } = appWithManager(configFor('HS256', parentIssuer));
    parent.get('/parent-route', requireToken(), (_req, res) => {
      res.json({ sub: currentToken.sub, iss: currentToken.iss });
    });
    const sub = guardedSubApp();
    const subIssuer = 'https://sub.example';
    for (const [name, value] of Object.entries(configFor('HS256', subIssuer))) sub.set(name, value);
    const subManager = new AuthManager(sub);
    parent.use('/sub', sub);
    for (const reply of await sendEach(parent, SUB_ROUTES, tokenOf(subManager, 'dave'))) {
      expect(reply.status, reply.text).to.equal(200);
      expect(reply.json).to.deep.equal({ sub: 'dave', iss: subIssuer });
    }
    for (const reply of await sendEach(parent, SUB_ROUTES, tokenOf(parentManager, 'erin'))) {
      expectRejection(reply, { status: 401, code: 'ERR_TOKEN_SIGNATURE', issuer: subIssuer, bearerError: 'invalid_token' });
    }
    // The parent's own routes keep the parent's manager.
    const [own] = await sendEach(parent, ['/parent-route'], tokenOf(parentManager, 'erin'));
    expect(own.status, own.text).to.equal(200);
    expect(own.json).to.deep.equal({ sub: 'erin', iss: parentIssuer });
  });

  it('falls back to the global typedi Container\'s manager when no app up the chain has one', async () => {
    Container.set(JWT_ISSUER, 'https://container.example');
    Container.set(JWT_AUTHTYPE, 'HS256');
    Container.set(JWT_SECRET, hmacSecret());
    const containerManager = Container.get(AuthManager);
    const parent = express();
    const middle = express();
    middle.use('/inner', guardedSubApp());
    parent.use('/sub', middle);
    const paths = ['/sub/inner/plain', '/sub/inner/rc/who'];
    for (const reply of await sendEach(parent, paths, tokenOf(containerManager, 'frank'))) {
      expect(reply.status, reply.text).to.equal(200);
      expect(reply.json).to.deep.equal({ sub: 'frank', iss: 'https://container.example' });
    }
    const foreign = new AuthManager(configFor('HS256', parentIssuer));
    for (const reply of await sendEach(parent, paths, tokenOf(foreign, 'mallory'))) {
      expectRejection(reply, { status: 401, code: 'ERR_TOKEN_SIGNATURE', issuer: 'https://container.example', bearerError: 'invalid_token' });
    }
  });
});
