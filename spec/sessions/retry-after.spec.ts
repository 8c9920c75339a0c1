/**
 * 503 answers of the revocation store (issue 15): `Retry-After` is jittered (1 to 3 s, so that clients come back
 * spread out), and a 503 thrown by `rotate()` inside an action (the README's refresh route) keeps its `Retry-After`,
 * which routing-controllers' default error handler used to drop. The store is the memory store whose rotation step
 * is held back longer than JWT_REVOCATIONTIMEOUT, as a stalled Redis would.
 */
import 'reflect-metadata';
import { expect } from 'chai';
import { MemoryRevocationStore, type RetireRequest, type StoreRetireOutcome } from 'routing-controllers-jwt';
import { hmacSecret } from '../support/keys';
import { sessionApp, type SessionApp } from '../support/session-app';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The memory store, its rotation step answering 400 ms late (the guard's own check answers at once). */
class SlowRotationStore extends MemoryRevocationStore {
  override async retire(request: RetireRequest): Promise<StoreRetireOutcome> {
    await sleep(400);
    return super.retire(request);
  }
}

describe('Retry-After of the store\'s 503s', () => {
  let app: SessionApp;

  before(async () => {
    app = await sessionApp({ JWT_ISSUER: 'https://retry-after.example', JWT_AUTHTYPE: 'HS256', JWT_SECRET: hmacSecret(64),
      JWT_REVOCATIONSTORE: new SlowRotationStore(), JWT_REVOCATIONTIMEOUT: 0.1 });
  });

  after(async () => {
    await app?.server.close();
  });

  it('a 503 thrown by rotate() inside an action keeps its Retry-After (1 to 3 s), JSON body, no token echoed', async () => {
    const refresh = app.manager.refreshToken('alice').signed;
    const reply = await app.refresh(refresh);
    expect(reply.status, reply.text).to.equal(503);
    expect(Number(reply.headers['retry-after']), 'Retry-After reaches the client').to.be.oneOf([1, 2, 3]);
    expect((reply.json as { code: string }).code).to.equal('ERR_REVOCATION_UNAVAILABLE');
    expect(reply.text).not.to.include(refresh);
    expect(reply.headers['www-authenticate'], 'a 503 is no bearer challenge').to.equal(undefined);
  });

  it('Retry-After is jittered: over 15 answers it takes more than one value, each between 1 and 3', async () => {
    const seen = new Set<string>();
    for (let index = 0; index < 15; index += 1) {
      const reply = await app.refresh(app.manager.refreshToken(`user-${index}`).signed);
      seen.add(String(reply.headers['retry-after']));
    }
    for (const value of seen) expect(Number(value)).to.be.oneOf([1, 2, 3]);
    expect(seen.size, `values seen: ${[...seen].join(', ')}`).to.be.greaterThan(1);
  });
});
