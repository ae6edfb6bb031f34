// The console's shell: the token, who is signed in, one event stream shared by the pages, and
// the router (#/, #/clusters/ID, #/pipeline).
import { ApiError, get, setToken, token, watchEvents } from '/console/api.js';
import { renderFleet } from '/console/fleet.js';
import { renderCluster } from '/console/cluster.js';
import { renderPipeline } from '/console/pipeline.js';

const main = document.getElementById('main');
const form = document.getElementById('token-form');
const stateEl = document.getElementById('stream-state');
let session = null;
let page = null;          // { dispose(), onEvent(reason, item), onReset() }
let stopStream = null;

function showTokenForm(message) {
  form.hidden = false;
  document.getElementById('token-error').textContent = message || '';
  main.replaceChildren();
  document.getElementById('token-input').focus();
}

form.addEventListener('submit', (e) => {
  e.preventDefault();
  const input = document.getElementById('token-input');
  setToken(input.value.trim());
  input.value = '';
  start();
});

document.getElementById('sign-out').addEventListener('click', () => {
  setToken('');
  location.reload();
});

function setState(s) {
  stateEl.textContent = s === 'unsupported' ? 'polling' : s;
  stateEl.className = 'state state-' + s;
}

function route() {
  if (page && page.dispose) page.dispose();
  page = null;
  const hash = location.hash.replace(/^#/, '') || '/';
  for (const a of document.querySelectorAll('[data-nav]')) {
    a.classList.toggle('active', (a.dataset.nav === 'pipeline') === hash.startsWith('/pipeline'));
  }
  const m = hash.match(/^\/clusters\/([^/]+)$/);
  const ctx = { main, session };
  if (m) page = renderCluster(ctx, decodeURIComponent(m[1]));
  else if (hash.startsWith('/pipeline')) page = renderPipeline(ctx);
  else page = renderFleet(ctx);
}

async function start() {
  try {
    session = await get('/session');
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
      return showTokenForm(token() ? 'That token was refused: ' + err.message : '');
    }
    main.replaceChildren(Object.assign(document.createElement('p'),
                                       { className: 'error', textContent: err.message }));
    return;
  }
  form.hidden = true;
  document.getElementById('who').textContent =
      session.auth ? `${session.identity || 'anonymous'} · ${session.role}` : 'auth off';
  document.getElementById('who').dataset.role = session.role;
  document.getElementById('sign-out').hidden = !token();
  if (stopStream) stopStream();
  stopStream = watchEvents('', {
    onEvent: (reason, item) => page && page.onEvent && page.onEvent(reason, item),
    onReset: () => page && page.onReset && page.onReset(),
    onState: setState,
  });
  route();
}

window.addEventListener('hashchange', () => session && route());
start();
