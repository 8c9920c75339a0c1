/** The `scope` attribute of a 403's challenge (RFC 6750 §3), as a table. */
import { expect } from 'chai';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The shape of the internal modules this table relies on (not public API: loaded from the built package by path). */
interface Rejection {
  readonly body: string;
}
interface ScopeChallengeModule {
  scopeRejection(scope: unknown): Rejection;
}
interface RejectionsModule {
  REJECTIONS: { scopeMismatch: Rejection };
  wwwAuthenticate(rejection: Rejection, realm: string): string;
}

const load = createRequire(__filename);
function internal<T>(path: string): T {
  return load(join(dirname(load.resolve('routing-controllers-jwt')), `${path}.js`)) as T;
}
const { scopeRejection } = internal<ScopeChallengeModule>('authorize/scope-challenge');
const { REJECTIONS, wwwAuthenticate } = internal<RejectionsModule>('authorize/rejections');

describe('scope challenge (RFC 6750 §3)', () => {
  const rows: Array<[unknown, string]> = [
    ['orders:read', 'Bearer realm="api", error="insufficient_scope", scope="orders:read"'],
    ['  orders:read   orders:write ', 'Bearer realm="api", error="insufficient_scope", scope="orders:read orders:write"'],
    // Not scope tokens (RFC 6749 §3.3): a quote or backslash could break the header; the attribute is left out.
    ['a"b', 'Bearer realm="api", error="insufficient_scope"'],
    ['a\\b', 'Bearer realm="api", error="insufficient_scope"'],
    [{ admin: true }, 'Bearer realm="api", error="insufficient_scope"'],
    [42, 'Bearer realm="api", error="insufficient_scope"'],
  ];
  for (const [scope, header] of rows) {
    it(`scope ${JSON.stringify(scope)} -> ${header}`, () => {
      const rejection = scopeRejection(scope);
      expect(wwwAuthenticate(rejection, '"api"')).to.equal(header);
      expect(rejection.body).to.equal(REJECTIONS.scopeMismatch.body);
      expect(Object.isFrozen(rejection)).to.equal(true);
    });
  }
});
