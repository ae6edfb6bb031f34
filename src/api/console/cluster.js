// The cluster page: spec, labels and conditions; one lane per required adapter with its
// Applied / Available / Health over time (seen by this page: the API keeps each adapter's
// latest report); the events timeline; nodepools; and, for an admin, patch spec and delete.
import { call, get } from '/console/api.js';
import { age, badge, clock, errorBox, h, state } from '/console/ui.js';

const LANE_TYPES = ['Applied', 'Available', 'Health'];

export function renderCluster({ main, session }, id) {
  const path = '/clusters/' + encodeURIComponent(id);
  const adapters = (session.required_adapters && session.required_adapters.Cluster) || [];
  // adapter → type → [{status, reason, message, time, generation}], oldest first
  const history = new Map();
  let timer = null;
  let disposed = false;
  let cluster = null;
  const canWrite = session.role === 'admin';

  const top = h('div');
  const message = h('div');
  const lanes = h('section', { id: 'lanes' });
  const details = h('section', { class: 'columns' });
  const timeline = h('section', { id: 'timeline' });
  const nodepools = h('section', { id: 'nodepools' });
  const actions = h('section', { id: 'actions' });
  main.replaceChildren(h('p', {}, h('a', { href: '#/' }, '‹ Fleet')), top, message, lanes,
                       details, nodepools, timeline, actions);

  function record(adapter, c, generation) {
    if (!history.has(adapter)) history.set(adapter, new Map());
    const byType = history.get(adapter);
    if (!byType.has(c.type)) byType.set(c.type, []);
    const list = byType.get(c.type);
    const last = list[list.length - 1];
    if (last && last.status === c.status && last.reason === c.reason &&
        last.message === c.message && last.generation === generation) return;
    list.push({ status: c.status, reason: c.reason || '', message: c.message || '',
                time: c.last_transition_time, generation });
  }

  function renderLanes(statuses) {
    for (const s of statuses.items || []) {
      for (const c of s.conditions || []) record(s.adapter, c, s.observed_generation);
    }
    const names = [...adapters];
    for (const s of statuses.items || []) if (!names.includes(s.adapter)) names.push(s.adapter);
    lanes.replaceChildren(h('h2', {}, 'Adapters'), ...names.map((name) => {
      const report = (statuses.items || []).find((s) => s.adapter === name);
      const byType = history.get(name) || new Map();
      const done = report && report.observed_generation === cluster.generation &&
                   (report.conditions || []).some((c) => c.type === 'Available' && c.status === 'True');
      return h('div', { class: 'lane' + (done ? ' lane-done' : ''), 'data-adapter': name, 'data-done': done ? 'true' : 'false' },
        h('div', { class: 'lane-name' }, name,
          h('small', {}, report ? ` gen ${report.observed_generation} · ${age(report.last_report_time)} ago` : ' no report yet')),
        ...LANE_TYPES.map((type) => h('div', { class: 'lane-row' },
          h('span', { class: 'lane-type' }, type),
          ...(byType.get(type) || []).map((p) => h('span', {
            class: 'step step-' + p.status.toLowerCase(), 'data-type': type, 'data-status': p.status,
            title: `${p.time} gen ${p.generation}\n${p.reason}\n${p.message}` },
            `${clock(p.time)} ${p.status}${p.reason ? ' · ' + p.reason : ''}`,
            p.message ? h('small', {}, p.message) : null)))));
    }));
  }

  function renderDetails() {
    const conditions = (cluster.status && cluster.status.conditions) || [];
    details.replaceChildren(
      h('div', {}, h('h2', {}, 'Spec'), h('pre', { id: 'spec' }, JSON.stringify(cluster.spec, null, 2)),
        h('h2', {}, 'Labels'),
        h('p', {}, Object.keys(cluster.labels || {}).length
          ? Object.entries(cluster.labels).map(([k, v]) => h('span', { class: 'label' }, `${k}=${v}`))
          : h('span', { class: 'muted' }, 'none'))),
      h('div', {}, h('h2', {}, 'Conditions'), h('table', {},
        h('thead', {}, h('tr', {}, ['Type', 'Status', 'Gen', 'Reason', 'Message', 'Since'].map((t) => h('th', {}, t)))),
        h('tbody', {}, conditions.map((c) => h('tr', {},
          h('td', {}, c.type), h('td', {}, badge(c.status)), h('td', {}, String(c.observed_generation)),
          h('td', {}, c.reason || ''), h('td', {}, c.message || ''),
          h('td', { title: c.last_transition_time }, age(c.last_transition_time))))))));
  }

  function renderTimeline(events) {
    timeline.replaceChildren(h('h2', {}, 'Events'), h('ol', { class: 'timeline' },
      [...(events.items || [])].reverse().map((e) => h('li', { 'data-reason': e.reason },
        h('span', { class: 'mono' }, clock(e.created_time)), ' ', badge(e.reason, 'event'),
        ` generation ${e.aggregate_generation}`,
        e.published_time ? '' : h('span', { class: 'muted' }, ' (not yet published)')))));
  }

  function renderNodepools(list) {
    nodepools.replaceChildren(h('h2', {}, `NodePools (${list.total})`), list.items.length ? h('table', {},
      h('thead', {}, h('tr', {}, ['Name', 'State', 'Generation', 'Age'].map((t) => h('th', {}, t)))),
      h('tbody', {}, list.items.map((n) => h('tr', {},
        h('td', {}, n.name), h('td', {}, badge(state(n))), h('td', {}, String(n.generation)),
        h('td', {}, age(n.created_time)))))) : h('p', { class: 'muted' }, 'none'));
  }

  function renderActions() {
    if (!canWrite) {
      actions.replaceChildren(h('p', { class: 'muted', id: 'read-only' },
        `Read-only: role ${session.role} may not change clusters.`));
      return;
    }
    if (actions.childElementCount) return;  // keep what is being typed
    const spec = h('textarea', { id: 'patch-spec', rows: 6, cols: 60 }, JSON.stringify(cluster.spec, null, 2));
    actions.replaceChildren(h('h2', {}, 'Actions'),
      h('form', { onsubmit: async (e) => {
        e.preventDefault();
        let body;
        try { body = { spec: JSON.parse(spec.value) }; } catch (err) {
          message.replaceChildren(errorBox(new Error('spec is not JSON: ' + err.message))); return;
        }
        if (!confirm(`Patch the spec of ${cluster.name}? Its generation goes up and the adapters run again.`)) return;
        try { await call('PATCH', path, body); load(); } catch (err) { message.replaceChildren(errorBox(err)); }
      } }, spec, h('br'), h('button', { type: 'submit', id: 'patch' }, 'Patch spec')),
      h('button', { type: 'button', id: 'delete', class: 'danger', onclick: async () => {
        if (!confirm(`Delete cluster ${cluster.name}? The adapters clean up, then it is removed.`)) return;
        try { await call('DELETE', path); load(); } catch (err) { message.replaceChildren(errorBox(err)); }
      } }, 'Delete cluster'));
  }

  async function load() {
    try {
      const [c, statuses, events, pools] = await Promise.all([
        get(path), get(path + '/statuses?size=100'),
        get('/events?size=100&aggregate_id=' + encodeURIComponent(id)),
        get(path + '/nodepools?size=100')]);
      if (disposed) return;
      cluster = c;
      message.replaceChildren();
      top.replaceChildren(h('h1', {}, c.name, ' ', h('span', { id: 'cluster-state' }, badge(state(c)))),
        h('p', { class: 'muted' }, `${c.id} · generation ${c.generation} · created ${age(c.created_time)} ago by ${c.created_by || '?'}`,
          c.deleted_time ? ` · deleting since ${age(c.deleted_time)}` : ''));
      renderLanes(statuses);
      renderDetails();
      renderTimeline(events);
      renderNodepools(pools);
      renderActions();
    } catch (err) {
      if (disposed) return;
      if (err.status === 404) {
        top.replaceChildren(h('h1', {}, 'Cluster not found'));
        lanes.replaceChildren(); details.replaceChildren(); actions.replaceChildren();
      }
      message.replaceChildren(errorBox(err));
    }
  }

  function refreshSoon() {
    if (timer) return;
    timer = setTimeout(() => { timer = null; load(); }, 150);
  }

  load();
  return {
    onEvent: (reason, item) => { if (item.aggregate_id === id || item.aggregate_type === 'NodePool') refreshSoon(); },
    onReset: refreshSoon,
    dispose: () => { disposed = true; clearTimeout(timer); },
  };
}
