/**
 * Authentication events on node:diagnostics_channel, over real HTTP: accepted and refused requests with the reason
 * code, the route, the issuer and subject where known, never the token; and the README's rate-limiting recipe.
 */
import 'reflect-metadata';
import { expect } from 'chai';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { NextFunction, Request, Response } from 'express';
import { ACCEPTED_CHANNEL, REFUSED_CHANNEL, requireToken, type AuthEvent, type AuthManager } from 'routing-controllers-jwt';
import { configFor } from '../support/keys';
import { bearer, listen, send, type RunningServer } from '../support/server';
import { appWithManager, expiredToken, tamperedSignature } from '../support/require-token';

const issuer = 'https://events.example';

describe('authentication events (node:diagnostics_channel)', () => {
  const config = configFor('HS256', issuer);
  let manager: AuthManager;
  let server: RunningServer;
  const events: AuthEvent[] = [];
  const record = (message: unknown): void => {
    events.push(message as AuthEvent);
  };

  // The README's recipe: count failed authentications per address; answer 429 past the limit.
  const failures = new Map<string, number>();
  const countFailure = (message: unknown): void => {
    const { status, ip } = message as AuthEvent;
    if (status === 401 && ip !== undefined) failures.set(ip, (failures.get(ip) ?? 0) + 1);
  };
  const limitFailures = (request: Request, response: Response, next: NextFunction): void => {
    if ((failures.get(request.socket.remoteAddress ?? '') ?? 0) >= 3) response.status(429).json({ name: 'TooManyRequests' });
    else next();
  };

  before(async () => {
    const built = appWithManager(config);
    manager = built.manager;
    built.app.get('/users/:userId', requireToken({ sub: 'userId' }), (_req, res) => res.json({ ok: true }));
    built.app.get('/limited', limitFailures, requireToken(), (_req, res) => res.json({ ok: true }));
    server = await listen(built.app);
    subscribe(ACCEPTED_CHANNEL, record);
    subscribe(REFUSED_CHANNEL, record);
  });

  after(async () => {
    unsubscribe(ACCEPTED_CHANNEL, record);
    unsubscribe(REFUSED_CHANNEL, record);
    unsubscribe(REFUSED_CHANNEL, countFailure);
    await server.close();
  });

  beforeEach(() => {
    events.length = 0;
  });

  it('publishes an accepted request with the route pattern, issuer and subject', async () => {
    const signed = manager.authToken('alice').signed;
    expect((await send(`${server.url}/users/alice?access_token=${signed}`, { headers: bearer(signed) })).status).to.equal(200);
    expect(events).to.have.length(1);
    expect(events[0]).to.deep.include({ outcome: 'accepted', method: 'GET', route: '/users/:userId', issuer, subject: 'alice' });
    expect(events[0].ip).to.match(/127\.0\.0\.1/);
  });

  it('publishes a refusal of a verified token with its code, issuer and subject', async () => {
    await send(`${server.url}/users/bob`, { headers: bearer(manager.authToken('alice').signed) });
    expect(events).to.have.length(1);
    expect(events[0]).to.deep.include({ outcome: 'refused', status: 403, code: 'ERR_TOKEN_FORBIDDEN_CLAIMS', route: '/users/:userId', issuer, subject: 'alice' });
  });

  it('security: a refusal of an unverified token names no issuer or subject (an attacker chooses them)', async () => {
    await send(`${server.url}/users/alice`, { headers: bearer(tamperedSignature(manager.authToken('alice').signed)) });
    await send(`${server.url}/users/alice`, { headers: bearer(expiredToken(config, 'alice')) });
    await send(`${server.url}/users/alice`);
    expect(events.map((event) => [event.outcome, event.status, event.code])).to.deep.equal([
      ['refused', 401, 'ERR_TOKEN_SIGNATURE'],
      ['refused', 401, 'ERR_TOKEN_EXPIRED'],
      ['refused', 401, 'ERR_TOKEN_MISSING'],
    ]);
    for (const event of events) expect(event).not.to.have.any.keys('issuer', 'subject');
  });

  it('security: an event never carries the token, the header or the query string', async () => {
    const signed = manager.authToken('alice').signed;
    const forged = tamperedSignature(signed);
    await send(`${server.url}/users/alice?t=${signed}`, { headers: bearer(signed) });
    await send(`${server.url}/users/bob?t=${forged}`, { headers: bearer(forged) });
    const text = JSON.stringify(events);
    expect(events).to.have.length(2);
    for (const secret of [signed, forged, signed.split('.')[2], 'Bearer', '?t=']) expect(text).not.to.include(secret);
  });

  it('the rate-limiting recipe answers 429 after three failed authentications from one address', async () => {
    subscribe(REFUSED_CHANNEL, countFailure);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await send(`${server.url}/limited`, { headers: bearer('not-a-token') })).status);
    expect(statuses).to.deep.equal([401, 401, 401, 429]);
    expect((await send(`${server.url}/limited`, { headers: bearer(manager.authToken('alice').signed) })).status).to.equal(429);
    failures.clear();
    expect((await send(`${server.url}/limited`, { headers: bearer(manager.authToken('alice').signed) })).status).to.equal(200);
  });
});
