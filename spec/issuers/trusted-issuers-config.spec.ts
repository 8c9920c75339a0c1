/**
 * JWT_ISSUERS at start-up: every entry checked once, failing fast with a message that names the entry and the field
 * to fix, never a value. Configuration only: nothing here is fetched.
 */
import { expect } from 'chai';
import { AuthManager, InvalidConfigError } from 'routing-controllers-jwt';

const OWN = 'orders-api';
const ENTRY = { issuer: 'https://as.config.example/', audience: 'https://api.config.example' };

function refusal(issuers: unknown): string {
  try {
    new AuthManager({ JWT_ISSUER: OWN, JWT_ISSUERS: issuers });
  } catch (error) {
    expect(error).to.be.instanceOf(InvalidConfigError);
    expect((error as InvalidConfigError).configValue).to.equal('JWT_ISSUERS');
    return (error as Error).message;
  }
  throw new Error('the configuration was accepted');
}

describe('JWT_ISSUERS configuration', () => {
  it('security: an issuer without an audience is refused at start-up (RFC 8725 §3.9)', () => {
    expect(refusal([{ issuer: ENTRY.issuer }])).to.include('audience is required');
    expect(refusal([{ ...ENTRY, audience: '' }])).to.include('audience is required');
    expect(refusal([{ ...ENTRY, audience: [] }])).to.include('audience is required');
  });

  it('a verify-only resource server needs no secret: JWT_ISSUER and JWT_ISSUERS are enough', () => {
    const manager = new AuthManager({ JWT_ISSUER: OWN, JWT_ISSUERS: [ENTRY] });
    expect(manager.signer).to.equal(null);
    expect(manager.verifiesRemotely).to.equal(true);
  });

  it('the environment form is JSON text', () => {
    expect(() => new AuthManager({ JWT_ISSUER: OWN, JWT_ISSUERS: JSON.stringify([ENTRY]) })).not.to.throw();
    expect(refusal('[{"issuer": ')).to.include('JSON array');
  });

  it('names the entry and the field to fix, never the value', () => {
    expect(refusal([ENTRY, { ...ENTRY, issuer: 'https://b.example', audiences: 'x' }])).to.include('entry 1 has unknown fields (audiences)');
    expect(refusal([{ ...ENTRY, profile: 'strict' }])).to.include('profile must be "rfc9068" or "generic"');
    expect(refusal([{ ...ENTRY, leeway: 301 }])).to.include('leeway');
    expect(refusal([{ ...ENTRY, scopeClaim: '' }])).to.include('scopeClaim');
    expect(refusal([ENTRY, ENTRY])).to.include('listed twice');
    expect(refusal({ issuer: ENTRY.issuer })).to.include('must be an array');
  });

  it('security: shared-secret algorithms are refused for an issuer (its keys are public)', () => {
    expect(refusal([{ ...ENTRY, algorithms: ['HS256'] }])).to.include('algorithms may hold only');
    expect(refusal([{ ...ENTRY, algorithms: ['none'] }])).to.include('algorithms may hold only');
  });

  it('security: the app\'s own issuer cannot be listed as an external one', () => {
    expect(refusal([{ ...ENTRY, issuer: OWN, jwksUrl: 'https://as.config.example/jwks' }])).to.include('own JWT_ISSUER');
  });

  it('security: discovery and key sets need https (http only on loopback)', () => {
    expect(refusal([{ ...ENTRY, issuer: 'http://as.config.example' }])).to.include('must use https');
    expect(refusal([{ ...ENTRY, jwksUrl: 'http://as.config.example/jwks' }])).to.include('must use https');
    // With a jwksUrl the issuer is only compared, so it may be any string (e.g. Entra ID v1's sts.windows.net form).
    expect(() => new AuthManager({ JWT_ISSUER: OWN, JWT_ISSUERS: [{ ...ENTRY, issuer: 'urn:as', jwksUrl: 'https://as.example/jwks' }] })).not.to.throw();
  });
});
