// The demo page: plain JavaScript, no build step. Every call is same-origin, so the browser sends the session
// cookies by itself; the page never sees a token (HttpOnly). State-changing calls send the readable csrf_token
// cookie back in the X-CSRF-Token header (double submit).
//
// "Log in with DPoP" signs in the other way (RFC 9449): the page makes an ES256 key with WebCrypto, non-extractable
// (no script, this one included, can read the private key out), keeps it for this tab's session, and proves
// possession of it in every call with a fresh DPoP proof. The server binds the tokens to that key (cnf.jkt), so the
// tokens the page holds are worth nothing to whoever copies them.
'use strict';

const $ = (id) => document.getElementById(id);

/** The value of the readable CSRF cookie, or '' when there is none. */
function csrfToken() {
  const pair = document.cookie.split('; ').find((cookie) => cookie.startsWith('csrf_token='));
  return pair === undefined ? '' : decodeURIComponent(pair.slice('csrf_token='.length));
}

/** A same-origin JSON call; state-changing methods carry the CSRF header. */
async function call(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET') headers['X-CSRF-Token'] = csrfToken();
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, body: text === '' ? null : JSON.parse(text) };
}

/** base64url of bytes (RFC 7515 §2). */
function base64url(bytes) {
  let binary = '';
  for (const byte of new Uint8Array(bytes)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const utf8 = (text) => new TextEncoder().encode(text);
const base64urlJson = (value) => base64url(utf8(JSON.stringify(value)));

/** The DPoP session of this tab: the key pair, its public JWK, the tokens bound to it and the last server nonce. */
let dpop = null;

/** A new DPoP key: ES256, the private key non-extractable (WebCrypto never hands it out). */
async function newDpopKey() {
  const keys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', keys.publicKey);
  return { keys, jwk: { kty, crv, x, y } };
}

/**
 * A DPoP proof (RFC 9449 §4.2) for one request: the method, the URL without query or fragment, a fresh jti and iat,
 * the hash of the access token (ath) when one is sent, and the server's nonce once it gave one.
 */
async function dpopProof(key, method, path, accessToken, nonce) {
  const claims = { jti: base64url(crypto.getRandomValues(new Uint8Array(16))), htm: method, htu: new URL(path, location.href).href.split(/[?#]/)[0], iat: Math.floor(Date.now() / 1000) };
  if (accessToken !== undefined) claims.ath = base64url(await crypto.subtle.digest('SHA-256', utf8(accessToken)));
  if (nonce !== undefined) claims.nonce = nonce;
  const input = `${base64urlJson({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.jwk })}.${base64urlJson(claims)}`;
  // WebCrypto's ECDSA signature is r || s, the JWS form (RFC 7518 §3.4).
  const signature = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key.keys.privateKey, utf8(input));
  return `${input}.${base64url(signature)}`;
}

/**
 * A same-origin JSON call with a fresh proof of `key`, and `Authorization: DPoP <token>` when `token` is given. A
 * server that asks for its nonce (401 use_dpop_nonce, RFC 9449 §8) gets one retry with it.
 */
async function dpopCall(key, method, path, token, body) {
  for (let attempt = 0; ; attempt++) {
    const headers = { Accept: 'application/json', DPoP: await dpopProof(key, method, path, token, key.nonce) };
    if (token !== undefined) headers.Authorization = `DPoP ${token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'omit' });
    const nonce = response.headers.get('DPoP-Nonce');
    if (nonce !== null) key.nonce = nonce;
    const text = await response.text();
    const askedForNonce = response.status === 401 && (response.headers.get('WWW-Authenticate') ?? '').includes('use_dpop_nonce');
    if (!askedForNonce || attempt > 0) return { status: response.status, body: text === '' ? null : JSON.parse(text) };
  }
}

function showDpop(session) {
  $('dpop-info').hidden = session === null;
  $('wave-button').hidden = session !== null;
  $('dpop-token').textContent = session === null ? '' : session.authToken;
}

function show(signedIn, who) {
  $('signed-out').hidden = signedIn;
  $('signed-in').hidden = !signedIn;
  $('who').textContent = who ?? '';
  if (!signedIn) $('profile').textContent = '';
  showDpop(signedIn ? dpop : null);
}

function status(text) {
  $('status').textContent = text;
}

/** What a refused call says: the status and the library's code. */
function refused(what, reply) {
  return `${what}: ${reply.status}${reply.body && reply.body.code ? ` ${reply.body.code}` : ''}`;
}

$('login').addEventListener('submit', async (event) => {
  event.preventDefault();
  const reply = await call('POST', '/auth/session', { username: $('username').value, password: $('password').value });
  if (reply.status !== 200) return status(refused('login refused', reply));
  show(true, reply.body.sub);
  status('signed in');
});

$('dpop-login-button').addEventListener('click', async () => {
  const key = await newDpopKey();
  const reply = await dpopCall(key, 'POST', '/auth/login', undefined, { username: $('username').value, password: $('password').value });
  if (reply.status !== 200) return status(refused('login refused', reply));
  dpop = { ...reply.body, key };
  const me = await dpopCall(key, 'GET', '/me', dpop.authToken);
  if (me.status !== 200) return status(refused('login refused', me));
  show(true, me.body.token.sub);
  status('signed in with DPoP');
});

$('profile-button').addEventListener('click', async () => {
  const reply = dpop === null ? await call('GET', '/me') : await dpopCall(dpop.key, 'GET', '/me', dpop.authToken);
  if (reply.status !== 200) return status(refused('profile refused', reply));
  $('profile').textContent = JSON.stringify(reply.body.profile, null, 2);
  status('profile loaded');
});

$('wave-button').addEventListener('click', async () => {
  const reply = await call('POST', '/session/waves');
  if (reply.status !== 200) return status(refused('wave refused', reply));
  $('waves').textContent = String(reply.body.waves);
  status('waved');
});

$('refresh-button').addEventListener('click', async () => {
  if (dpop !== null) {
    // Rotation keeps the binding: the new tokens need proofs of the same key.
    const reply = await dpopCall(dpop.key, 'POST', '/auth/refresh', dpop.refreshToken);
    if (reply.status !== 200) return status(refused('refresh refused', reply));
    dpop = { ...reply.body, key: dpop.key };
    showDpop(dpop);
    return status('refreshed');
  }
  const reply = await call('POST', '/auth/session/refresh');
  if (reply.status !== 200) return status(refused('refresh refused', reply));
  status('refreshed');
});

$('logout-button').addEventListener('click', async () => {
  const reply = dpop === null ? await call('DELETE', '/auth/session') : await dpopCall(dpop.key, 'POST', '/auth/logout', dpop.refreshToken);
  if (reply.status !== 204) return status(refused('logout refused', reply));
  // The key goes with the session: nothing keeps it once the page lets go of it.
  dpop = null;
  show(false);
  status('signed out');
});

// A page opened with a live session (a reload, a second tab) picks it up.
call('GET', '/me').then((reply) => {
  if (reply.status === 200) {
    show(true, reply.body.token.sub);
    status('signed in');
  }
});
