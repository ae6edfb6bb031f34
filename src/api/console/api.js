// The console's one client of the REST API: the base path, the bearer token (sessionStorage,
// never in a URL), errors from problem+json, and the event stream read with fetch() so the
// token travels in the Authorization header (EventSource cannot send one).
export const BASE = '/api/hyperfleet/v1';
const TOKEN_KEY = 'hyperfleet.token';

export function token() { return sessionStorage.getItem(TOKEN_KEY) || ''; }
export function setToken(t) {
  if (t) sessionStorage.setItem(TOKEN_KEY, t); else sessionStorage.removeItem(TOKEN_KEY);
}

function headers(extra = {}) {
  const h = { Accept: 'application/json', ...extra };
  const t = token();
  if (t) h.Authorization = 'Bearer ' + t;
  return h;
}

export class ApiError extends Error {
  constructor(status, problem, fallback) {
    super((problem && (problem.detail || problem.title)) || fallback);
    this.status = status;
    this.problem = problem;
  }
}

// Calls the API; resolves to the parsed body (null when empty), rejects with an ApiError.
export async function call(method, path, body) {
  const init = { method, headers: headers(body === undefined ? {} : { 'Content-Type': 'application/json' }) };
  if (body !== undefined) init.body = JSON.stringify(body);
  const res = await fetch(BASE + path, init);
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!res.ok) throw new ApiError(res.status, data, `${method} ${path}: HTTP ${res.status}`);
  return data;
}

export const get = (path) => call('GET', path);

// Follows GET /events/stream`query`: onEvent(reason, item) per event, onReset() when the
// server says events were lost (re-list), onState('live'|'reconnecting'|'unsupported').
// Reconnects with Last-Event-ID. Returns a function that stops it.
export function watchEvents(query, { onEvent, onReset = () => {}, onState = () => {} }) {
  const abort = new AbortController();
  let lastId = '';
  let stopped = false;
  (async () => {
    while (!stopped) {
      try {
        const h = headers({ Accept: 'text/event-stream' });
        if (lastId) h['Last-Event-ID'] = lastId;
        const res = await fetch(BASE + '/events/stream' + query,
                                { headers: h, signal: abort.signal, cache: 'no-store' });
        if (res.status === 404) { onState('unsupported'); return; }
        if (!res.ok) throw new Error('HTTP ' + res.status);
        onState('live');
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const ev = { id: '', event: 'message', data: '' };
            for (const line of block.split('\n')) {
              if (!line || line.startsWith(':')) continue;
              const colon = line.indexOf(':');
              const field = colon < 0 ? line : line.slice(0, colon);
              const val = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
              if (field === 'id') ev.id = val;
              else if (field === 'event') ev.event = val;
              else if (field === 'data') ev.data += (ev.data ? '\n' : '') + val;
            }
            if (ev.id) lastId = ev.id;
            if (!ev.data) continue;
            if (ev.event === 'reset') onReset();
            else onEvent(ev.event, JSON.parse(ev.data));
          }
        }
      } catch (e) {
        if (stopped) return;
      }
      if (stopped) return;
      onState('reconnecting');
      await new Promise((r) => setTimeout(r, 2000));
    }
  })();
  return () => { stopped = true; abort.abort(); };
}
