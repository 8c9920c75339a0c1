/** What the demo prints once it listens: where, with which configuration, the routes, the users, the walkthrough. */
import type { DemoConfig } from './config';
import { SEED_USERS } from './users/seed-users';
import { renderWalkthrough } from './walkthrough';

const ROUTES = [
  ['POST', '/auth/login', '{username, password} -> {authToken, refreshToken}'],
  ['POST', '/auth/refresh', 'refresh token in Authorization: Bearer -> a new {authToken, refreshToken}; the old one is retired'],
  ['POST', '/auth/logout', 'refresh token in Authorization: Bearer -> 204; its whole family is revoked'],
  ['POST', '/auth/session', 'same body as /auth/login; the tokens as HttpOnly cookies, the CSRF value as csrf_token'],
  ['POST', '/auth/session/refresh', 'refresh_token cookie + X-CSRF-Token header -> every cookie set again (rotation)'],
  ['DELETE', '/auth/session', 'refresh_token cookie + X-CSRF-Token header -> 204; family revoked, cookies cleared'],
  ['GET', '/users/:userId', 'your own profile; any profile with an admin token'],
  ['GET', '/users/:userId/security', 'your own, with a login at most 5 minutes old (step-up: maxAge 300)'],
  ['GET', '/admin/audit', 'the audit log; admin scope'],
  ['GET', '/me', 'plain Express, behind requireToken(); your profile and token (bearer header or auth_token cookie)'],
  ['GET', '/session/users/:userId', 'GET /users/:userId with the auth_token cookie'],
  ['POST', '/session/waves', 'a protected action: auth_token cookie + X-CSRF-Token header'],
  ['GET', '/', 'the demo page: a cookie session in the browser'],
];

/** The start-up text for a demo listening at `baseUrl`. */
export function banner(baseUrl: string, config: DemoConfig): string {
  const routes = ROUTES.map(([method, path, what]) => `  ${method.padEnd(7)}${(baseUrl + path).padEnd(baseUrl.length + 23)}${what}`);
  const users = SEED_USERS.map((user) => `  ${user.username.padEnd(6)} password ${user.password.padEnd(15)} ${user.role}`);
  return [
    `routing-controllers-jwt demo listening on ${baseUrl}`,
    `  NODE_ENV=${config.nodeEnv}, ${config.algorithm}, issuer "${config.issuer}", ` +
      `auth tokens ${config.authMaxAge} s, refresh tokens ${config.refreshMaxAge} s, ` +
      `signing key from ${config.secretFrom === 'generated' ? 'this start-up (generated)' : 'the configuration'}, ` +
      `.env: ${config.envFile ?? 'none'}`,
    '',
    'Routes:',
    ...routes,
    '',
    'Users:',
    ...users,
    '',
    'Try it, one line at a time (needs curl and node):',
    '',
    renderWalkthrough(baseUrl),
    '',
    'Stop with Ctrl+C.',
    '',
  ].join('\n');
}
