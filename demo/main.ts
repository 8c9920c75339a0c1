/**
 * Starts the demo: configuration (config.ts), the seeded users, the app (app.ts), a server on 127.0.0.1:PORT, and
 * the start-up text (banner.ts). `npm run demo` builds and runs this.
 */
import 'reflect-metadata';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Container } from 'typedi';
import { createApp } from './app';
import { banner } from './banner';
import { configure, StartupRefusal } from './config';
import { UserStore } from './users/user-store';
import { SEED_USERS } from './users/seed-users';

/** Loopback only: the demo's passwords are public. */
const HOST = '127.0.0.1';

async function main(): Promise<void> {
  const config = configure();
  await Container.get(UserStore).seed(SEED_USERS);
  const server = createServer(createApp(config.corsOrigins));

  server.on('error', (error: NodeJS.ErrnoException) => {
    const why = error.code === 'EADDRINUSE' ? `port ${config.port} is in use; start with another PORT, e.g. PORT=3001` : error.message;
    console.error(`routing-controllers-jwt demo: ${why}`);
    process.exit(1);
  });
  server.listen(config.port, HOST, () => {
    const { port } = server.address() as AddressInfo;
    console.log(banner(`http://${HOST}:${port}`, config));
  });

  const stop = (): void => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  if (error instanceof StartupRefusal) {
    console.error(`routing-controllers-jwt demo: ${error.message}`);
  } else {
    console.error(error);
  }
  process.exitCode = 1;
});
