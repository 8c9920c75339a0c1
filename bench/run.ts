/**
 * `npm run bench`: the micro and HTTP benchmarks in one run, printed as ratio tables next to the targets, and
 * written as JSON to bench/results/. Ratios compare runs made side by side in this process: absolute numbers on a
 * shared machine mean little.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runHttp, type HttpResult } from './http';
import { runDpopMicro, runMicro, type MicroResult } from './micro';
import { runRemoteAccessTokens } from './remote-access-tokens';
import { runRevocationHttp } from './revocation-cache';
import { runRevocationMicro } from './revocation-micro';

interface Target {
  what: string;
  value: number | undefined;
  limit: string;
  met: boolean;
}

function microOf(results: MicroResult[], algorithm: string, task: string): MicroResult | undefined {
  return results.find((r) => r.algorithm === algorithm && r.task === task);
}

function httpOf(results: HttpResult[], variant: string): HttpResult | undefined {
  return results.find((r) => r.variant === variant);
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  console.log('micro benchmarks ...');
  const micro = [...await runMicro(quick ? 200 : 500), ...await runRemoteAccessTokens(quick ? 200 : 500)];
  console.table(micro.map((r) => ({ ...r, ratioToFloor: r.ratioToFloor ?? '' })));
  console.log('DPoP (RFC 9449) per request, against one ES256 verify ...');
  const dpop = await runDpopMicro(quick ? 200 : 500);
  console.table(dpop);
  console.log('HTTP benchmarks (autocannon, 32 connections) ...');
  const { results: http, heap } = await runHttp(quick ? 1 : 5, 2);
  console.table(http);
  console.log('server heap after GC (MB), 100k valid then 100k garbage requests:', JSON.stringify(heap));
  console.log('revocation in the guard and rotation, without HTTP (Redis on loopback) ...');
  const revocationMicro = await runRevocationMicro(quick ? 200 : 500);
  console.table(revocationMicro);
  console.log('revocation-checked requests (autocannon, 1 and 16 connections; 3 server processes for revoke-to-401) ...');
  const revocation = await runRevocationHttp(quick ? 2 : 5, 2);
  console.table(revocation.rows);

  const miss = (alg: string) => microOf(micro, alg, 'AuthManager.checkToken, cache miss')?.ratioToFloor ?? undefined;
  const hit = (alg: string) => microOf(micro, alg, 'AuthManager.checkToken, cache hit')?.ratioToFloor ?? undefined;
  const ratio = (variant: string) => httpOf(http, variant)?.throughputRatio;
  const valid = httpOf(http, '@RequireToken, cache on')?.requestsPerSecond ?? 1;
  const invalid = httpOf(http, '@RequireToken, invalid token (401)')?.requestsPerSecond ?? 0;
  const cpuOverPlain = (variant: string) => httpOf(http, variant)?.serverCpuMicrosOverPlain ?? NaN;
  const heapChange = Number.parseFloat(heap.change);
  const targets: Target[] = [
    { what: 'HS256 verify, cache miss / floor', value: miss('HS256'), limit: '<= 1.7', met: (miss('HS256') ?? Infinity) <= 1.7 },
    { what: 'RS256 verify, cache miss / floor', value: miss('RS256'), limit: '<= 1.25', met: (miss('RS256') ?? Infinity) <= 1.25 },
    { what: 'HS256 verify, cache hit / floor', value: hit('HS256'), limit: '<= 0.25', met: (hit('HS256') ?? Infinity) <= 0.25 },
    { what: 'Ed25519 verify, cache miss / floor', value: miss('Ed25519'), limit: '<= 1.25', met: (miss('Ed25519') ?? Infinity) <= 1.25 },
    { what: 'Ed25519 verify, cache hit / floor', value: hit('Ed25519'), limit: '<= 0.25', met: (hit('Ed25519') ?? Infinity) <= 0.25 },
    ...(['RS256', 'ES256'] as const).flatMap((alg) => {
      const remoteMiss = microOf(micro, alg, 'access token, remote set, cache miss')?.ratioToFloor ?? undefined;
      const remoteHit = microOf(micro, alg, 'access token, remote set, cache hit')?.ratioToFloor ?? undefined;
      return [
        { what: `${alg} access token (JWT_ISSUERS), cache miss / floor`, value: remoteMiss, limit: '<= 1.25', met: (remoteMiss ?? Infinity) <= 1.25 },
        { what: `${alg} access token (JWT_ISSUERS), cache hit / floor`, value: remoteHit, limit: '<= 0.25', met: (remoteHit ?? Infinity) <= 0.25 },
      ];
    }),
    { what: 'protected / plain throughput, cache on', value: ratio('@RequireToken, cache on'), limit: '>= 0.90', met: (ratio('@RequireToken, cache on') ?? 0) >= 0.9 },
    { what: 'protected / plain throughput, cache off', value: ratio('@RequireToken, cache off'), limit: '>= 0.65', met: (ratio('@RequireToken, cache off') ?? 0) >= 0.65 },
    { what: 'server CPU us/request added by @RequireToken (cache on), vs plain', value: cpuOverPlain('@RequireToken, cache on'), limit: 'report', met: true },
    { what: 'server CPU us/request added by loading the library (AsyncLocalStorage), plain action', value: cpuOverPlain('plain action, library loaded'), limit: 'report', met: true },
    { what: 'invalid-token / valid throughput', value: Number((invalid / valid).toFixed(2)), limit: '>= 0.8', met: invalid / valid >= 0.8 },
    ...([1, 16] as const).map((connections) => {
      const value = revocation.rows.find((row) => row.connections === connections && row.variant === 'jti checked, Redis + local cache')?.ratioToUnchecked;
      return { what: `jti checked in Redis with the local cache / unchecked throughput, ${connections} connection(s)`, value, limit: '>= 0.95', met: (value ?? 0) >= 0.95 };
    }),
    ...([1, 16] as const).map((connections) => ({
      what: `server CPU us/request added by a jti check from the local cache, ${connections} connection(s)`,
      value: revocation.rows.find((row) => row.connections === connections && row.variant === 'jti checked, Redis + local cache')?.serverCpuMicrosOverUnchecked,
      limit: 'report',
      met: true,
    })),
    { what: 'revoke() on one instance to the first 401 on 3 others, median ms', value: revocation.revokeToFirst401Ms.median, limit: '<= 50', met: revocation.revokeToFirst401Ms.median <= 50 },
    { what: 'connections dropped (heap phases)', value: heap.connectionsDropped, limit: '0', met: heap.connectionsDropped === 0 },
    { what: 'heap change after GC, 100k valid + 100k garbage (%)', value: heapChange, limit: '+-10', met: Math.abs(heapChange) <= 10 },
  ];
  console.table(targets);

  const dir = join(__dirname, '..', '..', 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  const environment = { node: process.version, platform: process.platform, arch: process.arch, cpus: (await import('node:os')).cpus().length };
  writeFileSync(file, JSON.stringify({ environment, micro, dpop, http, heap, revocationMicro, revocation, targets }, null, 2));
  console.log(`results written to ${file}`);
  // Redis connections and child servers of the revocation runs would keep the process alive.
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
