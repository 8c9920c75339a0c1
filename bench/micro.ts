/**
 * Micro benchmarks (tinybench): verify and sign through AuthManager (verify cache hit and miss), next to the
 * hand-written floor (Ed25519 too), jsonwebtoken with a KeyObject and with a string key, and fast-jwt (dev-only comparison).
 * DPoP (runDpopMicro): the proof check, the replay store and the guard, against one ES256 verify.
 * Timing (bench/support/measure.ts): BATCH operations per sample, the median microseconds per operation.
 */
import { createSigner, createVerifier } from 'fast-jwt';
import { sign as jwtSign, verify as jwtVerify, type Algorithm as JwtAlgorithm } from 'jsonwebtoken';
import { generateKeyPairSync, randomBytes, verify } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Redis } from 'ioredis';
import { AuthManager, checkDpopProof, MemoryRevocationStore, RedisRevocationStore, requireToken } from 'routing-controllers-jwt';
import { floorVerifyEd25519, floorVerifyHmac, floorVerifyRsa } from './floor';
import { benchProof, benchProofKey } from './support/dpop-proofs';
import { medianMicros } from './support/measure';
import { fixture, type Algorithm, type Fixture } from './support/tokens';

/** One measured task: median microseconds per operation. */
export interface MicroResult {
  algorithm: Algorithm | 'ES256' | 'Ed25519';
  task: string;
  operation: 'verify' | 'sign';
  microseconds: number;
  /** microseconds / the floor's, for verify tasks of the same algorithm. */
  ratioToFloor: number | null;
}

type Task = { name: string; operation: 'verify' | 'sign'; run: () => unknown };

function tasksFor(f: Fixture, full: boolean): Task[] {
  const hash = f.algorithm.endsWith('256') ? 'sha256' : 'sha512';
  const floor = f.algorithm.startsWith('HS')
    ? () => floorVerifyHmac(f.token, f.verifyKey, hash)
    : () => floorVerifyRsa(f.token, f.verifyKey, hash);
  const must = (ok: boolean): void => {
    if (!ok) throw new Error('a benchmark verified nothing');
  };
  const tasks: Task[] = [
    { name: 'floor (hand-written)', operation: 'verify', run: floor },
    { name: 'AuthManager.checkToken, cache miss', operation: 'verify', run: () => must(f.uncached.checkToken(f.token).valid) },
    { name: 'AuthManager.checkToken, cache hit', operation: 'verify', run: () => must(f.cached.checkToken(f.token).valid) },
    { name: 'AuthManager.authToken (sign)', operation: 'sign', run: () => f.cached.authToken('user-42', 'read write', { tenant: 'acme' }) },
  ];
  if (!full) return tasks;
  // The whole per-request path of the guard (read the header, resolve the manager, verify, authorize, enter the
  // token's context, call next), without HTTP: what @RequireToken adds to a request's CPU time.
  for (const label of ['cache hit', 'cache miss'] as const) {
    const app = { ...f.config, JWT_CACHESIZE: label === 'cache hit' ? '1000' : '0' };
    new AuthManager().initApp(app);
    const middleware = requireToken({ scope: 'read' });
    const request = { headers: { authorization: `Bearer ${f.token}` }, rawHeaders: ['Authorization', `Bearer ${f.token}`], params: {}, app };
    const response = { headersSent: false, statusCode: 200, setHeader: () => undefined, end: () => undefined };
    let passed = 0;
    const next = (): void => {
      passed++;
    };
    tasks.push({
      name: `requireToken() middleware, ${label}`,
      operation: 'verify',
      run: () => {
        const before = passed;
        middleware(request as unknown as IncomingMessage, response as unknown as ServerResponse, next);
        must(passed === before + 1);
      },
    });
  }
  const algorithm = f.algorithm as JwtAlgorithm;
  const fastVerify = createVerifier({ key: f.verifyText, algorithms: [algorithm] });
  const fastVerifyCached = createVerifier({ key: f.verifyText, algorithms: [algorithm], cache: true });
  const fastSign = createSigner({ key: f.secretText, algorithm });
  const payload = { sub: 'user-42', type: 'auth', scope: 'read write', tenant: 'acme', iss: 'bench' };
  tasks.push(
    { name: 'jsonwebtoken.verify, KeyObject', operation: 'verify', run: () => jwtVerify(f.token, f.verifyKey, { algorithms: [algorithm] }) },
    { name: 'jsonwebtoken.verify, string key', operation: 'verify', run: () => jwtVerify(f.token, f.verifyText, { algorithms: [algorithm] }) },
    { name: 'fast-jwt verify', operation: 'verify', run: () => fastVerify(f.token) },
    { name: 'fast-jwt verify, cache hit', operation: 'verify', run: () => fastVerifyCached(f.token) },
    { name: 'jsonwebtoken.sign, KeyObject', operation: 'sign', run: () => jwtSign(payload, f.signKey, { algorithm, expiresIn: 3600 }) },
    { name: 'fast-jwt sign', operation: 'sign', run: () => fastSign({ ...payload, exp: Math.floor(Date.now() / 1000) + 3600 }) },
  );
  return tasks;
}

/**
 * The app's own Ed25519 tokens (signed with node:crypto, jsonwebtoken has no EdDSA): cache miss and hit against the
 * hand-written Ed25519 floor, and signing.
 */
function ed25519Tasks(): Task[] {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const config = {
    JWT_ISSUER: 'bench.ed25519',
    JWT_AUTHTYPE: 'Ed25519',
    JWT_SECRET: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    JWT_PUBLICKEY: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
  const cached = new AuthManager(config);
  const uncached = new AuthManager({ ...config, JWT_CACHESIZE: '0' });
  const token = cached.authToken('user-42', 'read write', { tenant: 'acme' }).signed;
  const must = (ok: boolean): void => {
    if (!ok) throw new Error('a benchmark verified nothing');
  };
  return [
    { name: 'floor (hand-written)', operation: 'verify', run: () => floorVerifyEd25519(token, publicKey) },
    { name: 'AuthManager.checkToken, cache miss', operation: 'verify', run: () => must(uncached.checkToken(token).valid) },
    { name: 'AuthManager.checkToken, cache hit', operation: 'verify', run: () => must(cached.checkToken(token).valid) },
    { name: 'AuthManager.authToken (sign)', operation: 'sign', run: () => cached.authToken('user-42', 'read write', { tenant: 'acme' }) },
  ];
}

/** Runs the micro benchmarks of every algorithm; full comparisons for HS256 and RS256. */
export async function runMicro(timeMs = 500): Promise<MicroResult[]> {
  const results: MicroResult[] = [];
  for (const algorithm of ['HS256', 'HS512', 'RS256', 'RS512', 'Ed25519'] as const) {
    const tasks = algorithm === 'Ed25519' ? ed25519Tasks() : tasksFor(fixture(algorithm), algorithm === 'HS256' || algorithm === 'RS256');
    const micros = await medianMicros(tasks, timeMs);
    const floor = micros.get('floor (hand-written)') ?? NaN;
    for (const task of tasks) {
      const microseconds = micros.get(task.name) ?? NaN;
      results.push({
        algorithm,
        task: task.name,
        operation: task.operation,
        microseconds: Number(microseconds.toFixed(3)),
        ratioToFloor: task.operation === 'verify' ? Number((microseconds / floor).toFixed(2)) : null,
      });
    }
  }
  return results;
}

/** One measured DPoP task: median microseconds per operation, and the ratio to one ES256 verify (the floor). */
export interface DpopMicroResult {
  task: string;
  microseconds: number;
  ratioToFloor: number;
}

/**
 * The cost of DPoP per request: the pure proof check (checkDpopProof), the replay store's atomic `use` (memory), and
 * the whole guard with a DPoP-bound HS256 token (cache hit) next to the same guard with a bearer token; each against
 * one ES256 signature verify of the proof, the floor no DPoP check can go below.
 */
export async function runDpopMicro(timeMs = 500): Promise<DpopMicroResult[]> {
  const key = benchProofKey();
  const url = 'http://bench.example/items';
  const config = { JWT_ISSUER: 'bench.dpop', JWT_AUTHTYPE: 'HS256', JWT_SECRET: randomBytes(64).toString('base64url') };
  const manager = new AuthManager(config);
  const token = manager.authToken('user-42', 'read', {}, { dpopJkt: key.jkt }).signed;
  const unbound = manager.authToken('user-42', 'read').signed;
  const proof = benchProof(key, 'GET', url, token);
  const [signingInput, signature] = [proof.slice(0, proof.lastIndexOf('.')), Buffer.from(proof.slice(proof.lastIndexOf('.') + 1), 'base64url')];
  const policy = { algorithms: new Set(['ES256']), window: 60 };
  const store = new MemoryRevocationStore();
  let counter = 0;
  // Fresh proofs for the guard (each is accepted once): made before measuring.
  const proofs = Array.from({ length: 40_000 }, () => benchProof(key, 'GET', url, token));
  const middleware = requireToken();
  const response = { headersSent: false, statusCode: 200, setHeader: () => undefined, end: () => undefined };
  const guardOnce = (headers: Record<string, string>): Promise<void> => new Promise((resolve, reject) => {
    const request = { method: 'GET', url: '/items', originalUrl: '/items', protocol: 'http', headers: { host: 'bench.example', ...headers }, params: {}, app: config };
    const ended = { ...response, end: () => reject(new Error('the guard refused a benchmark request')) };
    middleware(request as unknown as IncomingMessage, ended as unknown as ServerResponse, () => resolve());
  });
  const tasks: Array<{ name: string; run: () => unknown }> = [
    { name: 'floor: one ES256 verify of the proof', run: () => verify('sha256', Buffer.from(signingInput), { key: key.publicKey, dsaEncoding: 'ieee-p1363' }, signature) },
    { name: 'checkDpopProof (pure, no store)', run: () => checkDpopProof({ proof, method: 'GET', url, accessToken: token, jkt: key.jkt }, policy, Date.now() / 1000) },
    { name: 'replay store: MemoryRevocationStore.use', run: () => store.use(`dpop:${key.jkt}:${counter++}`, Date.now() / 1000 + 60) },
    { name: 'requireToken(), bearer token (HS256, cache hit)', run: () => guardOnce({ authorization: `Bearer ${unbound}` }) },
    { name: 'requireToken(), DPoP-bound token with proof', run: () => guardOnce({ authorization: `DPoP ${token}`, dpop: proofs[counter++ % proofs.length] }) },
  ];
  // The Redis replay store, when a Redis answers on 127.0.0.1:${REDIS_PORT:-6379} (one SET NX EXAT round trip).
  const redis = new Redis({ host: '127.0.0.1', port: Number(process.env.REDIS_PORT ?? 6379), lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  const redisUp = await redis.connect().then(() => true, () => false);
  if (redisUp) {
    const redisStore = new RedisRevocationStore(redis, { prefix: `rcjwt:bench:${randomBytes(4).toString('hex')}:` });
    tasks.splice(3, 0, { name: 'replay store: RedisRevocationStore.use (loopback)', run: () => redisStore.use(`dpop:${key.jkt}:${counter++}`, Date.now() / 1000 + 60) });
  }
  const micros = await medianMicros(tasks, timeMs, true);
  if (redisUp) await redis.quit();
  const floor = micros.get(tasks[0].name) ?? NaN;
  return tasks.map(({ name }) => ({ task: name, microseconds: Number((micros.get(name) ?? NaN).toFixed(3)), ratioToFloor: Number(((micros.get(name) ?? NaN) / floor).toFixed(2)) }));
}
