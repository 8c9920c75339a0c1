/**
 * The curl walkthrough printed at start-up (and shown in the README's "The demo"): each line can be pasted into a
 * POSIX shell on its own. Tokens are kept in shell variables; node, which is there anyway, reads the JSON.
 */

/** One step: what it shows, then its commands. */
export interface WalkthroughStep {
  say: string;
  commands: string[];
}

const JSON_BODY = `-H 'Content-Type: application/json'`;
const login = (username: string): string => `-d '{"username":"${username}","password":"${username}-password"}'`;
const field = (name: string, variable: string): string => `node -pe 'JSON.parse(process.argv[1]).${name}' "$${variable}"`;

/** The steps, for a demo listening at `baseUrl`. */
export function walkthrough(baseUrl: string): WalkthroughStep[] {
  return [
    {
      say: 'Log in as alice and keep her auth and refresh tokens:',
      commands: [
        `BASE=${baseUrl}`,
        `LOGIN=$(curl -s $BASE/auth/login ${JSON_BODY} ${login('alice')})`,
        `TOKEN=$(${field('authToken', 'LOGIN')})`,
        `REFRESH=$(${field('refreshToken', 'LOGIN')})`,
      ],
    },
    {
      say: 'Read her own profile: 200.',
      commands: [`curl -si -w '\\n' $BASE/users/alice -H "Authorization: Bearer $TOKEN"`],
    },
    {
      say: `Read bob's: 403 (error="insufficient_scope"), as she is neither bob nor an admin.`,
      commands: [`curl -si -w '\\n' $BASE/users/bob -H "Authorization: Bearer $TOKEN"`],
    },
    {
      say: "Log in as admin and read bob's: 200, through the override: { admin: true } of the route.",
      commands: [
        `ADMIN_LOGIN=$(curl -s $BASE/auth/login ${JSON_BODY} ${login('admin')})`,
        `ADMIN=$(${field('authToken', 'ADMIN_LOGIN')})`,
        `curl -si -w '\\n' $BASE/users/bob -H "Authorization: Bearer $ADMIN"`,
      ],
    },
    {
      say: 'No token: 401, with WWW-Authenticate: Bearer realm="<JWT_ISSUER>".',
      commands: [`curl -si -w '\\n' $BASE/users/alice`],
    },
    {
      say: 'A wrong password: 401. A body that fails validation: 400, with the field errors.',
      commands: [
        `curl -si -w '\\n' $BASE/auth/login ${JSON_BODY} -d '{"username":"alice","password":"wrong"}'`,
        `curl -si -w '\\n' $BASE/auth/login ${JSON_BODY} -d '{"username":""}'`,
      ],
    },
    {
      say: 'GET /me, a plain Express route behind requireToken(); the audit log, which needs the admin scope word and shows who read which profile (taken from currentToken); alice asking for it: 403.',
      commands: [
        `curl -s -w '\\n' $BASE/me -H "Authorization: Bearer $TOKEN"`,
        `curl -s -w '\\n' $BASE/admin/audit -H "Authorization: Bearer $ADMIN"`,
        `curl -si -w '\\n' $BASE/admin/audit -H "Authorization: Bearer $TOKEN"`,
      ],
    },
    {
      say: "Rotation: trade alice's refresh token for a new auth token and a new refresh token; the old one is retired.",
      commands: [
        `ROTATED=$(curl -s -X POST $BASE/auth/refresh -H "Authorization: Bearer $REFRESH")`,
        `echo "$ROTATED"`,
        `NEW_REFRESH=$(${field('refreshToken', 'ROTATED')})`,
      ],
    },
    {
      say: 'Wait for the grace window (JWT_REFRESHGRACE, 10 s: within it a replay is taken for a second tab refreshing at once and answered the same new refresh token), then replay the retired refresh token: 401 (ERR_TOKEN_REVOKED). Someone kept a copy, so the whole family is revoked: the new one is refused too, 401.',
      commands: [
        'sleep 10',
        `curl -si -w '\\n' -X POST $BASE/auth/refresh -H "Authorization: Bearer $REFRESH"`,
        `curl -si -w '\\n' -X POST $BASE/auth/refresh -H "Authorization: Bearer $NEW_REFRESH"`,
      ],
    },
    {
      say: "Logout: log alice in again, log out with the refresh token (204, its family is revoked), then refresh with it: 401. (Her auth token lives on until it expires.)",
      commands: [
        `LOGIN=$(curl -s $BASE/auth/login ${JSON_BODY} ${login('alice')})`,
        `REFRESH=$(${field('refreshToken', 'LOGIN')})`,
        `curl -si -w '\\n' -X POST $BASE/auth/logout -H "Authorization: Bearer $REFRESH"`,
        `curl -si -w '\\n' -X POST $BASE/auth/refresh -H "Authorization: Bearer $REFRESH"`,
      ],
    },
    {
      say: 'Cookies: log bob in with HttpOnly, SameSite=Strict cookies (kept in a cookie jar file) and take the CSRF value from the readable csrf_token cookie. GET /me and GET /session/users/bob read the auth_token cookie: 200.',
      commands: [
        `JAR=$(mktemp)`,
        `curl -si -w '\\n' -c "$JAR" $BASE/auth/session ${JSON_BODY} ${login('bob')}`,
        `CSRF=$(awk '$6=="csrf_token"{print $7}' "$JAR")`,
        `curl -si -w '\\n' -b "$JAR" $BASE/me`,
        `curl -si -w '\\n' -b "$JAR" $BASE/session/users/bob`,
      ],
    },
    {
      say: 'Refresh from the refresh_token cookie with the X-CSRF-Token header: 200, every cookie set again (rotation). Without the header: 403 (ERR_CSRF).',
      commands: [
        `curl -si -w '\\n' -b "$JAR" -c "$JAR" -X POST $BASE/auth/session/refresh -H "X-CSRF-Token: $CSRF"`,
        `curl -si -w '\\n' -b "$JAR" -X POST $BASE/auth/session/refresh`,
      ],
    },
    {
      say: "Log out: DELETE /auth/session revokes the family and clears the cookies (204). The jar still holds the refresh_token cookie (no -c this time): it is refused now, 401.",
      commands: [
        `curl -si -w '\\n' -b "$JAR" -X DELETE $BASE/auth/session -H "X-CSRF-Token: $CSRF"`,
        `curl -si -w '\\n' -b "$JAR" -X POST $BASE/auth/session/refresh -H "X-CSRF-Token: $CSRF"`,
        `rm -f "$JAR"`,
      ],
    },
  ];
}

/** The walkthrough as printed: numbered steps, commands indented. */
export function renderWalkthrough(baseUrl: string): string {
  return walkthrough(baseUrl)
    .map((step, index) => [`  ${index + 1}. ${step.say}`, ...step.commands.map((command) => `       ${command}`)].join('\n'))
    .join('\n\n');
}
