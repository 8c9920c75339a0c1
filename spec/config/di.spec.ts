/** AuthManager as a typedi service: Container.get(AuthManager), scoped containers, singletons (API.md §2). */
import 'reflect-metadata';
import { expect } from 'chai';
import { Container, ServiceNotFoundError } from 'typedi';
import {
  AuthManager,
  InvalidConfigError,
  JWT_AUTHMAXAGE,
  JWT_AUTHTYPE,
  JWT_ISSUER,
  JWT_PUBLICKEY,
  JWT_SECRET,
  MissingConfigError,
} from 'routing-controllers-jwt';
import { hmacSecret, rsaPair } from '../support/keys';
import { isolateConfig } from '../support/isolation';
import { thrownBy } from '../support/tokens';

/** Sets the HS256 tokens in the global container. */
function setGlobalTokens(issuer = 'global-issuer', secret = hmacSecret(64)): void {
  Container.set(JWT_ISSUER, issuer);
  Container.set(JWT_AUTHTYPE, 'HS256');
  Container.set(JWT_SECRET, secret);
}

describe('AuthManager through typedi', () => {
  isolateConfig();

  it('Container.get(AuthManager) builds a configured manager from the global tokens', () => {
    setGlobalTokens('global-issuer');
    Container.set(JWT_AUTHMAXAGE, 90);
    const manager = Container.get(AuthManager);
    expect(manager).to.be.instanceOf(AuthManager);
    expect(manager.signer?.issuer).to.equal('global-issuer');
    expect(manager.signer?.algorithm()).to.equal('HS256');
    const token = manager.authToken('user-1');
    expect(token.maxAge).to.equal(90);
    expect(manager.verifyToken(token)).to.equal(true);
  });

  it('builds an RS256 manager from tokens holding PEM text', () => {
    const { privateKey, publicKey } = rsaPair();
    Container.set(JWT_ISSUER, 'rsa-issuer');
    Container.set(JWT_AUTHTYPE, 'RS256');
    Container.set(JWT_SECRET, privateKey);
    Container.set(JWT_PUBLICKEY, publicKey);
    const manager = Container.get(AuthManager);
    expect(manager.verifyToken(manager.authToken('u'))).to.equal(true);
  });

  it('falls back to process.env for values without a token', () => {
    Container.set(JWT_ISSUER, 'global-issuer');
    process.env.JWT_AUTHTYPE = 'HS512';
    process.env.JWT_SECRET = hmacSecret(64);
    expect(Container.get(AuthManager).signer?.algorithm()).to.equal('HS512');
  });

  for (const missing of [JWT_ISSUER, JWT_AUTHTYPE, JWT_SECRET]) {
    it(`with ${missing.name} missing throws MissingConfigError naming it, not typedi's ServiceNotFoundError`, () => {
      setGlobalTokens();
      Container.remove(missing);
      const err = thrownBy(() => Container.get(AuthManager));
      expect(err).to.not.be.instanceOf(ServiceNotFoundError);
      expect(err).to.be.instanceOf(MissingConfigError);
      expect((err as MissingConfigError).configValue).to.equal(missing.name);
    });
  }

  it('builds once the missing value is set', () => {
    Container.set(JWT_ISSUER, 'late-issuer');
    Container.set(JWT_AUTHTYPE, 'HS256');
    expect(thrownBy(() => Container.get(AuthManager))).to.be.instanceOf(MissingConfigError);
    Container.set(JWT_SECRET, hmacSecret(64));
    expect(Container.get(AuthManager).signer?.issuer).to.equal('late-issuer');
  });

  it('with a wrong value throws InvalidConfigError naming it', () => {
    setGlobalTokens();
    Container.set(JWT_AUTHTYPE, 'HS1024');
    const err = thrownBy(() => Container.get(AuthManager));
    expect(err).to.be.instanceOf(InvalidConfigError);
    expect((err as InvalidConfigError).configValue).to.equal('JWT_AUTHTYPE');
  });

  it('is a singleton in the global container', () => {
    setGlobalTokens();
    expect(Container.get(AuthManager)).to.equal(Container.get(AuthManager));
  });

  it('the registration survives a value reset: after Container.reset() a new manager is built from the tokens', () => {
    setGlobalTokens('before-reset');
    const first = Container.get(AuthManager);
    Container.reset();
    Container.set(JWT_ISSUER, 'after-reset');
    const second = Container.get(AuthManager);
    expect(second).to.not.equal(first);
    expect(second.signer?.issuer).to.equal('after-reset');
  });

  describe('scoped containers', () => {
    it('Container.of("tenant-a") with its own tokens builds its own manager', () => {
      setGlobalTokens('global-issuer');
      const tenant = Container.of('tenant-a');
      tenant.set(JWT_ISSUER, 'tenant-a-issuer');
      tenant.set(JWT_AUTHTYPE, 'HS512');
      tenant.set(JWT_SECRET, hmacSecret(64));
      const scoped = tenant.get(AuthManager);
      const global = Container.get(AuthManager);
      expect(scoped).to.be.instanceOf(AuthManager);
      expect(scoped).to.not.equal(global);
      expect(scoped.signer?.issuer).to.equal('tenant-a-issuer');
      expect(scoped.signer?.algorithm()).to.equal('HS512');
      expect(global.signer?.issuer).to.equal('global-issuer');
      expect(global.verifyToken(scoped.authToken('u'))).to.equal(false);
      expect(scoped.verifyToken(global.authToken('u'))).to.equal(false);
    });

    it('is a singleton per container', () => {
      setGlobalTokens();
      const tenant = Container.of('tenant-a');
      tenant.set(JWT_ISSUER, 'tenant-a-issuer');
      expect(tenant.get(AuthManager)).to.equal(tenant.get(AuthManager));
      expect(Container.of('tenant-a').get(AuthManager)).to.equal(tenant.get(AuthManager));
    });

    it('two tenants get two managers with their own issuers', () => {
      setGlobalTokens();
      Container.of('tenant-a').set(JWT_ISSUER, 'issuer-a');
      Container.of('tenant-b').set(JWT_ISSUER, 'issuer-b');
      const a = Container.of('tenant-a').get(AuthManager);
      const b = Container.of('tenant-b').get(AuthManager);
      expect(a).to.not.equal(b);
      expect(a.signer?.issuer).to.equal('issuer-a');
      expect(b.signer?.issuer).to.equal('issuer-b');
      expect(b.verifyToken(a.authToken('u'))).to.equal(false);
    });

    it('falls back to the global tokens for values the scoped container does not set', () => {
      const secret = hmacSecret(64);
      setGlobalTokens('global-issuer', secret);
      Container.of('tenant-a').set(JWT_ISSUER, 'tenant-a-issuer');
      const scoped = Container.of('tenant-a').get(AuthManager);
      expect(scoped.signer?.issuer).to.equal('tenant-a-issuer');
      expect(scoped.signer?.algorithm()).to.equal('HS256');
    });

    it('a scoped container missing a value throws MissingConfigError, and builds after it is set', () => {
      const tenant = Container.of('tenant-a');
      tenant.set(JWT_ISSUER, 'tenant-a-issuer');
      tenant.set(JWT_AUTHTYPE, 'HS256');
      const err = thrownBy(() => tenant.get(AuthManager));
      expect(err).to.be.instanceOf(MissingConfigError);
      expect((err as MissingConfigError).configValue).to.equal('JWT_SECRET');
      tenant.set(JWT_SECRET, hmacSecret(64));
      expect(tenant.get(AuthManager).signer?.issuer).to.equal('tenant-a-issuer');
    });
  });
});
