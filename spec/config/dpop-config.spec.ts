/** JWT_DPOP, JWT_DPOPNONCE, JWT_DPOPALGS and the `dpop` guard option: checked once, with messages that say what to fix. */
import 'reflect-metadata';
import { expect } from 'chai';
import { AuthManager, InvalidConfigError, requireToken } from 'routing-controllers-jwt';
import { hmacSecret } from '../support/keys';

const base = { JWT_ISSUER: 'https://dpop-config.example', JWT_AUTHTYPE: 'HS256', JWT_SECRET: hmacSecret() };

function configErrorOf(values: Record<string, unknown>): InvalidConfigError | undefined {
  try {
    new AuthManager({ ...base, ...values });
  } catch (error) {
    if (error instanceof InvalidConfigError) return error;
    throw error;
  }
  return undefined;
}

describe('DPoP configuration', () => {
  it('accepts the documented values', () => {
    for (const values of [{ JWT_DPOP: 'off' }, { JWT_DPOP: 'allowed' }, { JWT_DPOP: 'required' }, { JWT_DPOPNONCE: 'true' }, { JWT_DPOPNONCE: false },
      { JWT_DPOPNONCE: 'k'.repeat(32) }, { JWT_DPOPALGS: 'ES256 EdDSA' }, { JWT_DPOPALGS: ['PS256'] }]) {
      expect(configErrorOf(values), JSON.stringify(values)).to.equal(undefined);
    }
  });

  it('refuses anything else at start-up, naming the value and what it may be, never echoing it', () => {
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ JWT_DPOP: 'sometimes' }, 'JWT_DPOP', /"off", "allowed" or "required"/],
      [{ JWT_DPOPNONCE: 'short-secret' }, 'JWT_DPOPNONCE', /at least 32 characters/],
      [{ JWT_DPOPALGS: 'HS256' }, 'JWT_DPOPALGS', /asymmetric algorithms among ES256/],
      [{ JWT_DPOPALGS: 'none' }, 'JWT_DPOPALGS', /asymmetric/],
    ];
    for (const [values, name, message] of cases) {
      const error = configErrorOf(values);
      expect(error?.configValue, name).to.equal(name);
      expect(error?.message).to.match(message);
      expect(error?.message).not.to.contain('short-secret');
    }
  });

  it('the dpop option of a guard is checked at decoration', () => {
    for (const dpop of ['required', 'allowed', false] as const) expect(() => requireToken({ dpop })).not.to.throw();
    expect(() => requireToken({ dpop: 'always' as 'required' })).to.throw(TypeError, /dpop must be 'required', 'allowed' or false/);
    expect(() => requireToken({ dpop: true as unknown as false })).to.throw(TypeError);
  });

  it('cnf is a reserved claim: only a verified proof binds a token, and dpopJkt must be a thumbprint', () => {
    const manager = new AuthManager({ ...base });
    expect(() => manager.authToken('u', null, { cnf: { jkt: 'x' } })).to.throw(TypeError);
    expect(() => manager.authToken('u', null, {}, { dpopJkt: 'not-a-thumbprint' })).to.throw(TypeError, /RFC 7638/);
    const jkt = 'A'.repeat(43);
    expect(manager.authToken('u', null, {}, { dpopJkt: jkt }).claims.cnf).to.deep.equal({ jkt });
  });
});
