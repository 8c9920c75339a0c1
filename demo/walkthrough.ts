/**
 * The curl walkthrough printed at start-up (and shown in the README's quick start): each line can be pasted into a
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
      say: "Trade alice's refresh token for a new auth token:",
      commands: [`curl -s -w '\\n' -X POST $BASE/auth/refresh -H "Authorization: Bearer $REFRESH"`],
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
      say: 'Cookies: log bob in with HttpOnly, SameSite=Strict cookies (kept in a cookie jar file), then refresh from the refresh_token cookie.',
      commands: [
        `JAR=$(mktemp)`,
        `curl -si -w '\\n' -c "$JAR" $BASE/auth/session ${JSON_BODY} ${login('bob')}`,
        `curl -s -w '\\n' -b "$JAR" -c "$JAR" -X POST $BASE/auth/session/refresh`,
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
