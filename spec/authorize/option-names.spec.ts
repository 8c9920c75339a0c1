/**
 * Option names against claim names: a key that reads like an option is refused at decoration, so that a typo never
 * becomes a required claim (a 403 for everyone) or, worse, a dropped check.
 */
import { expect } from 'chai';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { param, requireToken } from 'routing-controllers-jwt';

/** The shape of src/authorize/option-names.ts that this table relies on. */
interface OptionNamesModule {
  lookalikeOption(key: string, optionNames: Iterable<string>): string | undefined;
}
const load = createRequire(__filename);
const { lookalikeOption } = load(join(dirname(load.resolve('routing-controllers-jwt')), 'authorize/option-names.js')) as OptionNamesModule;

const OPTIONS = ['tokenType', 'location', 'cookieName', 'scope', 'override', 'csrf', 'claims', 'optional', 'anyScope', 'check'];

describe('option names vs claim names', () => {
  const lookalikes: Array<[key: string, meant: string]> = [
    ['Optional', 'optional'],
    ['OPTIONAL', 'optional'],
    ['optinal', 'optional'],
    ['optionnal', 'optional'],
    ['token_type', 'tokenType'],
    ['cookie-name', 'cookieName'],
    ['Scope', 'scope'],
    ['scopes', 'scope'],
    ['any_scope', 'anyScope'],
    ['anyScopes', 'anyScope'],
    ['Check', 'check'],
    ['chekc', 'check'],
    ['CSRF', 'csrf'],
    ['overide', 'override'],
    ['claim', 'claims'],
  ];
  for (const [key, meant] of lookalikes) {
    it(`refuses ${key} as a misspelt ${meant}, naming both and the explicit form`, () => {
      expect(lookalikeOption(key, OPTIONS)).to.equal(meant);
      expect(() => requireToken({ [key]: true })).to.throw(TypeError, new RegExp(`Unknown option ${key}: did you mean ${meant}\\?`));
    });
  }

  it('says how to require a claim of that name instead', () => {
    expect(() => requireToken({ optinal: true })).to.throw(TypeError, /A claim with this name is required under claims: \{ "optinal": \.\.\. \}/);
  });

  for (const claim of ['sub', 'role', 'roles', 'tenant', 'admin', 'email', 'scp', 'csr', 'crsf', 'org_id', 'groups', 'iss', 'aud', 'claim1', 'claim5', 'scope2']) {
    it(`keeps ${claim} a required claim`, () => {
      expect(lookalikeOption(claim, OPTIONS)).to.equal(undefined);
      expect(() => requireToken({ [claim]: 'x' })).not.to.throw();
    });
  }

  it('security: optional as a claim name is required explicitly under claims, and is then a claim, not the option', () => {
    expect(() => requireToken({ claims: { optional: true, Scope: 'x', scopes: param('id') } })).not.to.throw();
  });

  it('refuses values of the new options that cannot be meant', () => {
    expect(() => requireToken({ optional: 'yes' as unknown as boolean })).to.throw(TypeError, /optional must be true or false/);
    expect(() => requireToken({ anyScope: [] })).to.throw(TypeError, /anyScope must be a non-empty array/);
    expect(() => requireToken({ anyScope: 'read' as unknown as string[] })).to.throw(TypeError, /anyScope must be a non-empty array/);
    expect(() => requireToken({ anyScope: ['read', ''] })).to.throw(TypeError, /scope must be a non-empty string/);
    expect(() => requireToken({ check: true as unknown as () => boolean })).to.throw(TypeError, /check must be a function/);
  });

  it('security: anyScope and check present without a value are refused, never dropped', () => {
    expect(() => requireToken({ anyScope: undefined })).to.throw(TypeError, /anyScope is given as undefined/);
    expect(() => requireToken({ check: undefined })).to.throw(TypeError, /check is given as undefined/);
  });
});
