// The demo page: plain JavaScript, no build step. Every call is same-origin, so the browser sends the session
// cookies by itself; the page never sees a token (HttpOnly). State-changing calls send the readable csrf_token
// cookie back in the X-CSRF-Token header (double submit).
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

function show(signedIn, who) {
  $('signed-out').hidden = signedIn;
  $('signed-in').hidden = !signedIn;
  $('who').textContent = who ?? '';
  if (!signedIn) $('profile').textContent = '';
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

$('profile-button').addEventListener('click', async () => {
  const reply = await call('GET', '/me');
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
  const reply = await call('POST', '/auth/session/refresh');
  if (reply.status !== 200) return status(refused('refresh refused', reply));
  status('refreshed');
});

$('logout-button').addEventListener('click', async () => {
  const reply = await call('DELETE', '/auth/session');
  if (reply.status !== 204) return status(refused('logout refused', reply));
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
