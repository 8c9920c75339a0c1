/**
 * Certificate-bound tokens (RFC 8705 §3) over a real https server on loopback with real client certificates, made
 * by the openssl CLI for this suite (self-signed client certificates, RFC 8705 §2.2): a token bound to a certificate
 * (`cnf["x5t#S256"]`) is accepted only over a TLS connection that presented that certificate.
 */
import 'reflect-metadata';
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { AuthManager, clientCertificateThumbprint, currentToken, requireToken } from 'routing-controllers-jwt';
import { hmacSecret } from '../support/keys';

interface Pem {
  key: string;
  cert: string;
}

/** A self-signed P-256 certificate for `subject` (with an IP SAN for the server). */
function selfSigned(dir: string, name: string, subject: string, san?: string): Pem {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
    '-subj', `/CN=${subject}`, '-keyout', key, '-out', cert, ...(san === undefined ? [] : ['-addext', `subjectAltName=${san}`]),
  ], { stdio: 'ignore' });
  return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
}

interface HttpsReply {
  status: number;
  json: Record<string, unknown>;
  challenge: string | undefined;
}

function sendTls(url: string, ca: string, client: Pem | undefined, token?: string, method = 'GET'): Promise<HttpsReply> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method,
      ca,
      ...(client ?? {}),
      agent: false,
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({
        status: res.statusCode ?? 0,
        json: JSON.parse(Buffer.concat(chunks).toString() || '{}') as Record<string, unknown>,
        challenge: res.headers['www-authenticate'],
      }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('certificate-bound tokens (RFC 8705 §3, real TLS on loopback)', function () {
  this.timeout(20_000);
  let dir: string;
  let server: Server;
  let base: string;
  let serverPem: Pem;
  let alice: Pem;
  let mallory: Pem;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rcjwt-mtls-'));
    serverPem = selfSigned(dir, 'server', '127.0.0.1', 'IP:127.0.0.1');
    alice = selfSigned(dir, 'alice', 'alice');
    mallory = selfSigned(dir, 'mallory', 'mallory');
    const app = express();
    app.set('JWT_ISSUER', 'https://mtls.example').set('JWT_AUTHTYPE', 'HS256').set('JWT_SECRET', hmacSecret());
    const manager = new AuthManager(app);
    app.post('/token', (req, res) => {
      const certificateThumbprint = clientCertificateThumbprint(req);
      const token = manager.authToken('client-1', 'read', {}, { certificateThumbprint });
      const refresh = manager.refreshToken('client-1', { certificateThumbprint });
      res.json({ access_token: token.signed, refresh_token: refresh.signed, x5t: certificateThumbprint ?? null });
    });
    app.get('/resource', requireToken(), (_req, res) => {
      res.json({ sub: currentToken.sub, cnf: currentToken.claims.cnf ?? null });
    });
    app.post('/refresh', requireToken({ tokenType: 'refresh' }), async (_req, res) => {
      const rotated = await manager.rotate(currentToken);
      res.json({ access_token: rotated.authToken.signed });
    });
    // RFC 8705 §2.2: self-signed client certificates; the TLS handshake proves the key, the binding names the certificate.
    server = createServer({ ...serverPem, requestCert: true, rejectUnauthorized: false }, app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('binds a token to the SHA-256 thumbprint of the DER certificate the client presented', async () => {
    const issued = await sendTls(`${base}/token`, serverPem.cert, alice, undefined, 'POST');
    const expected = createHash('sha256').update(new X509Certificate(alice.cert).raw).digest('base64url');
    expect(issued.json.x5t).to.equal(expected);
    const reply = await sendTls(`${base}/resource`, serverPem.cert, alice, issued.json.access_token as string);
    expect(reply.status).to.equal(200);
    expect(reply.json.cnf).to.deep.equal({ 'x5t#S256': expected });
  });

  it('security: a certificate-bound token over a connection with another certificate is refused', async () => {
    const token = (await sendTls(`${base}/token`, serverPem.cert, alice, undefined, 'POST')).json.access_token as string;
    const reply = await sendTls(`${base}/resource`, serverPem.cert, mallory, token);
    expect(reply.status).to.equal(401);
    expect(reply.json.code).to.equal('ERR_TOKEN_BINDING');
    expect(reply.challenge).to.match(/^Bearer realm="https:\/\/mtls.example", error="invalid_token"$/);
  });

  it('security: a certificate-bound token over a connection without a client certificate is refused', async () => {
    const token = (await sendTls(`${base}/token`, serverPem.cert, alice, undefined, 'POST')).json.access_token as string;
    const reply = await sendTls(`${base}/resource`, serverPem.cert, undefined, token);
    expect(reply.status).to.equal(401);
    expect(reply.json.code).to.equal('ERR_TOKEN_BINDING');
  });

  it('an unbound token works with or without a certificate; rotation keeps the certificate binding', async () => {
    const unbound = (await sendTls(`${base}/token`, serverPem.cert, undefined, undefined, 'POST')).json;
    expect(unbound.x5t).to.equal(null);
    expect((await sendTls(`${base}/resource`, serverPem.cert, mallory, unbound.access_token as string)).status).to.equal(200);
    const refresh = (await sendTls(`${base}/token`, serverPem.cert, alice, undefined, 'POST')).json.refresh_token as string;
    expect((await sendTls(`${base}/refresh`, serverPem.cert, mallory, refresh, 'POST')).status).to.equal(401);
    const rotated = await sendTls(`${base}/refresh`, serverPem.cert, alice, refresh, 'POST');
    expect(rotated.status).to.equal(200);
    const next = rotated.json.access_token as string;
    expect((await sendTls(`${base}/resource`, serverPem.cert, mallory, next)).status).to.equal(401);
    expect((await sendTls(`${base}/resource`, serverPem.cert, alice, next)).status).to.equal(200);
  });
});
