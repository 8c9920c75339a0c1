/**
 * The consumer fixture of the compatibility matrix: the files a new user would write in a fresh project that installed
 * the packed tarball from npm. Kept as text (not compiled with the specs): each matrix cell writes them into its own
 * temporary project outside the repository and compiles them with that project's TypeScript.
 */

/** tsconfig.json of the fixture: what the README asks for (strict, legacy decorators with metadata), Node's types. */
export const FIXTURE_TSCONFIG = `{
  "compilerOptions": {
    "target": "ES2022",
    "module": "nodenext",
    "moduleResolution": "nodenext",
    "types": ["node"],
    "strict": true,
    "experimentalDecorators": true,
    "emitDecoratorMetadata": true,
    "esModuleInterop": true,
    "skipLibCheck": false,
    "rootDir": "src",
    "outDir": "dist"
  },
  "include": ["src"]
}
`;

/** A routing-controllers app on useExpressServer(express()): @RequireToken, @CurrentToken and the global currentToken. */
export const ROUTING_CONTROLLERS_APP = `import 'reflect-metadata';
import express from 'express';
import { Body, Get, JsonController, Post, useContainer, useExpressServer } from 'routing-controllers';
import { Container, Service } from 'typedi';
import { AuthManager, CurrentToken, JWT_AUTHTYPE, JWT_ISSUER, JWT_SECRET, RequireToken, currentToken } from 'routing-controllers-jwt';

Container.set(JWT_ISSUER, 'compat-api');
Container.set(JWT_AUTHTYPE, 'HS256');
Container.set(JWT_SECRET, 'compat-matrix-secret-of-at-least-32-bytes!');

@Service()
@JsonController()
class HelloController {
  constructor(private readonly auth: AuthManager) {}

  @Post('/login')
  login(@Body() body: { user: string }) {
    return { token: this.auth.authToken(body.user, 'greet').signed };
  }

  @Get('/hello')
  @RequireToken({ scope: 'greet' })
  hello(@CurrentToken('sub') user: string) {
    return { hello: user, sub: currentToken.sub, node: process.versions.node };
  }
}

useContainer(Container);
const app = express();
useExpressServer(app, { controllers: [HelloController] });
const server = app.listen(0, '127.0.0.1', () => {
  console.log('listening on http://127.0.0.1:' + String((server.address() as { port: number }).port));
});
`;

/** A plain-Express app: requireToken() and currentToken, routing-controllers never loaded. */
export const PLAIN_EXPRESS_APP = `import 'reflect-metadata';
import express from 'express';
import { Container } from 'typedi';
import { AuthManager, JWT_AUTHTYPE, JWT_ISSUER, JWT_SECRET, currentToken, requireToken } from 'routing-controllers-jwt';

Container.set(JWT_ISSUER, 'compat-api');
Container.set(JWT_AUTHTYPE, 'HS256');
Container.set(JWT_SECRET, 'compat-matrix-secret-of-at-least-32-bytes!');
const auth = Container.get(AuthManager);

const app = express();
app.use(express.json());
app.post('/login', (req, res) => {
  res.json({ token: auth.authToken(String((req.body as { user: string }).user), 'greet').signed });
});
app.get('/hello', requireToken({ scope: 'greet' }), (_req, res) => {
  res.json({ hello: currentToken.sub, routingControllersLoaded: Object.keys(require.cache).some((file) => file.includes('/node_modules/routing-controllers/')), node: process.versions.node });
});
const server = app.listen(0, '127.0.0.1', () => {
  console.log('listening on http://127.0.0.1:' + String((server.address() as { port: number }).port));
});
`;

/** An ESM importer (.mjs): named imports from the CommonJS package, then the plain-Express app. */
export const ESM_APP = `import 'reflect-metadata';
import express from 'express';
import typedi from 'typedi';
import { AuthManager, JWT_AUTHTYPE, JWT_ISSUER, JWT_SECRET, RequireToken, currentToken, requireToken } from 'routing-controllers-jwt';

if (typeof RequireToken !== 'function') throw new Error('RequireToken is not a named export for ESM importers');
const { Container } = typedi;
Container.set(JWT_ISSUER, 'compat-api');
Container.set(JWT_AUTHTYPE, 'HS256');
Container.set(JWT_SECRET, 'compat-matrix-secret-of-at-least-32-bytes!');
const auth = Container.get(AuthManager);

const app = express();
app.use(express.json());
app.post('/login', (req, res) => res.json({ token: auth.authToken(String(req.body.user), 'greet').signed }));
app.get('/hello', requireToken({ scope: 'greet' }), (_req, res) => res.json({ hello: currentToken.sub, node: process.versions.node }));
const server = app.listen(0, '127.0.0.1', () => {
  console.log('listening on http://127.0.0.1:' + String(server.address().port));
});
`;
