/**
 * Micro benchmarks of access tokens from a trusted issuer (JWT_ISSUERS): RFC 9068 tokens signed with RS256 and ES256
 * keys published in a JWK Set served on 127.0.0.1, verified with the keys fetched once, cache miss and hit, against
 * the same hand-written floor as the app's own tokens. The extra work over the app's own path: reading the claimed
 * `iss` to pick the issuer's keys, and the profile checks.
 */
import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuthManager } from 'routing-controllers-jwt';
import { floorVerifyEcdsa, floorVerifyRsa } from './floor';
import type { MicroResult } from './micro';
import { medianMicros } from './support/measure';
const AUDIENCE = 'https://api.bench.example';

interface RemoteFixture {
  algorithm: 'RS256' | 'ES256';
  publicKey: KeyObject;
  token: string;
}

function accessToken(algorithm: 'RS256' | 'ES256', issuer: string, kid: string, privateKey: KeyObject): string {
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: algorithm, typ: 'at+jwt', kid };
  const claims = { iss: issuer, aud: AUDIENCE, sub: 'svc-42', client_id: 'svc-42', jti: randomBytes(12).toString('base64url'), iat: now, exp: now + 3600, scope: 'read write' };
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  const options = algorithm === 'ES256' ? { key: privateKey, dsaEncoding: 'ieee-p1363' as const } : privateKey;
  return `${input}.${sign('sha256', Buffer.from(input), options).toString('base64url')}`;
}

/** Runs the remote-set benchmarks; the results join the micro table (algorithm `RS256 remote` / `ES256 remote`). */
export async function runRemoteAccessTokens(timeMs = 500): Promise<MicroResult[]> {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const keys = [
    { ...rsa.publicKey.export({ format: 'jwk' }), kid: 'rsa', alg: 'RS256', use: 'sig' },
    { ...ec.publicKey.export({ format: 'jwk' }), kid: 'ec', alg: 'ES256', use: 'sig' },
  ];
  const server = createServer((_request, response) => response.end(JSON.stringify({ keys })));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const issuer = `${origin}/as`;
  const config = { JWT_ISSUER: 'bench-api', JWT_ISSUERS: [{ issuer, audience: AUDIENCE, jwksUrl: `${origin}/jwks` }] };
  const cached = new AuthManager({ ...config });
  const uncached = new AuthManager({ ...config, JWT_CACHESIZE: '0' });
  const fixtures: RemoteFixture[] = [
    { algorithm: 'RS256', publicKey: rsa.publicKey, token: accessToken('RS256', issuer, 'rsa', rsa.privateKey) },
    { algorithm: 'ES256', publicKey: ec.publicKey, token: accessToken('ES256', issuer, 'ec', ec.privateKey) },
  ];
  const results: MicroResult[] = [];
  try {
    for (const f of fixtures) {
      // The keys are fetched once, outside the measurement.
      for (const manager of [cached, uncached]) if (!(await manager.verify(f.token)).valid) throw new Error('a benchmark token was refused');
      const must = (ok: boolean): void => {
        if (!ok) throw new Error('a benchmark verified nothing');
      };
      const tasks: Array<[string, () => unknown]> = [
        ['floor (hand-written)', () => (f.algorithm === 'RS256' ? floorVerifyRsa(f.token, f.publicKey, 'sha256') : floorVerifyEcdsa(f.token, f.publicKey, 'sha256'))],
        ['access token, remote set, cache miss', () => must(uncached.checkToken(f.token).valid)],
        ['access token, remote set, cache hit', () => must(cached.checkToken(f.token).valid)],
      ];
      const micros = await medianMicros(tasks.map(([name, run]) => ({ name, run })), timeMs);
      const floor = micros.get('floor (hand-written)') ?? NaN;
      for (const [name] of tasks) {
        const microseconds = micros.get(name) ?? NaN;
        results.push({
          algorithm: f.algorithm,
          task: name === 'floor (hand-written)' ? 'floor (hand-written), remote-set run' : name,
          operation: 'verify',
          microseconds: Number(microseconds.toFixed(3)),
          ratioToFloor: Number((microseconds / floor).toFixed(2)),
        });
      }
    }
  } finally {
    server.close();
  }
  return results;
}
