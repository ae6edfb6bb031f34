// The pipeline page: the outbox backlog, events by reason (the ticker's requests), publishing,
// each adapter's reports and failures — GET /pipeline, from the API's own store — and the
// events this page sees on the stream.
import { get } from '/console/api.js';
import { age, badge, clock, errorBox, h } from '/console/ui.js';

export function renderPipeline({ main }) {
  const figures = h('section', { id: 'figures' });
  const adapters = h('section', { id: 'adapter-figures' });
  const broker = h('section', { id: 'broker-figures' });
  let previous = null;  // the last answer's broker counters and when they were read
  const live = h('ol', { class: 'timeline', id: 'live' });
  const message = h('div');
  let disposed = false;
  const seen = [];
  main.replaceChildren(h('h1', {}, 'Pipeline'), message, figures, broker, adapters,
                       h('h2', {}, 'Live events'), live);

  const perMinute = (n, seconds) => (n / (seconds / 60)).toFixed(1);
  const card = (name, value, note) =>
    h('div', { class: 'card', 'data-figure': name }, h('div', { class: 'value' }, value),
      h('div', { class: 'name' }, name), note ? h('small', {}, note) : null);

  async function load() {
    try {
      const p = await get('/pipeline');
      if (disposed) return;
      message.replaceChildren();
      const w = p.window_seconds;
      const by = p.events_by_reason || {};
      const oldest = p.outbox.oldest_pending_age_seconds;
      figures.replaceChildren(h('div', { class: 'cards' },
        card('outbox pending', String(p.outbox.pending),
             oldest === null ? 'nothing waiting' : `oldest ${oldest.toFixed(1)}s`),
        card('published / min', perMinute(p.published, w), `to the broker, last ${w / 60} min`),
        card('events / min', perMinute(Object.values(by).reduce((a, b) => a + b, 0), w),
             Object.entries(by).map(([r, n]) => `${r} ${n}`).join(' · ') || 'none'),
        card('ticker requests / min', perMinute(by.requested || 0, w),
             p.last_requested_time ? `last ${age(p.last_requested_time)} ago` : 'none seen'),
        card('unreconciled', String(Object.values(p.unreconciled).reduce((a, b) => a + b, 0)),
             Object.entries(p.unreconciled).map(([k, n]) => `${k} ${n}`).join(' · '))));
      // Per-topic rates from this API process's broker counters: the change since the last answer.
      const now = Date.now();
      const before = previous ? new Map(previous.topics.map((t) => [t.topic, t])) : new Map();
      const rate = (t, key) => {
        const b = before.get(t.topic);
        return b && now > previous.at ? ((t[key] - b[key]) / ((now - previous.at) / 60000)).toFixed(1) : '…';
      };
      broker.replaceChildren(h('h2', {}, 'Broker (this process)'), p.broker.length === 0
        ? h('p', { class: 'muted' }, 'This API process neither publishes nor consumes; see the outbox and adapters on /metrics.')
        : h('table', {},
          h('thead', {}, h('tr', {}, ['Topic', 'Published / min', 'Consumed / min', 'Errors'].map((t) => h('th', {}, t)))),
          h('tbody', {}, p.broker.map((t) => h('tr', { 'data-topic': t.topic },
            h('td', {}, t.topic), h('td', {}, rate(t, 'published')), h('td', {}, rate(t, 'consumed')),
            h('td', {}, t.errors ? badge(String(t.errors), 'False') : '0'))))));
      previous = { at: now, topics: p.broker };
      adapters.replaceChildren(h('h2', {}, 'Adapters'), h('table', {},
        h('thead', {}, h('tr', {}, ['Adapter', 'Reports / min', 'Failing now'].map((t) => h('th', {}, t)))),
        h('tbody', {}, p.adapters.map((a) => h('tr', { 'data-adapter': a.name },
          h('td', {}, a.name), h('td', {}, perMinute(a.reports, w)),
          h('td', {}, a.failing ? badge(String(a.failing), 'False') : '0'))))));
    } catch (err) {
      if (!disposed) message.replaceChildren(errorBox(err));
    }
  }

  load();
  const interval = setInterval(load, 2000);
  return {
    onEvent: (reason, item) => {
      seen.unshift(item);
      seen.length = Math.min(seen.length, 30);
      live.replaceChildren(...seen.map((e) => h('li', {},
        h('span', { class: 'mono' }, clock(e.created_time)), ' ', badge(e.reason, 'event'),
        ` ${e.aggregate_type} `, h('a', { href: e.aggregate_type === 'Cluster' ? '#/clusters/' + e.aggregate_id : '#/' }, e.aggregate_id.slice(0, 13) + '…'),
        ` gen ${e.aggregate_generation}`)));
    },
    dispose: () => { disposed = true; clearInterval(interval); },
  };
}
