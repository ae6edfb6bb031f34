// Small DOM helpers: elements from tags, attributes and children (text is always text, never HTML).
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function age(time) {
  if (!time) return '';
  const s = Math.max(0, (Date.now() - Date.parse(time)) / 1000);
  if (s < 60) return Math.floor(s) + 's';
  if (s < 3600) return Math.floor(s / 60) + 'm';
  if (s < 86400) return Math.floor(s / 3600) + 'h';
  return Math.floor(s / 86400) + 'd';
}

export function clock(time) {
  return time ? new Date(time).toLocaleTimeString([], { hour12: false }) : '';
}

export function condition(resource, type) {
  return ((resource.status && resource.status.conditions) || []).find((c) => c.type === type);
}

// "Reconciled", "Deleting", "Pending" for a resource.
export function state(resource) {
  if (resource.deleted_time) return 'Deleting';
  const c = condition(resource, 'Reconciled');
  if (c && c.status === 'True' && c.observed_generation === resource.generation) return 'Reconciled';
  return 'Pending';
}

export function badge(text, kind = text) {
  return h('span', { class: 'badge badge-' + String(kind).toLowerCase() }, text);
}

export function errorBox(err) {
  return h('p', { class: 'error', role: 'alert' }, err.message || String(err));
}
