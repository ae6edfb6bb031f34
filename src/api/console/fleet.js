// The fleet page: clusters with search (the API's TSL), paging, a Reconciled / pending /
// deleting summary, age and generation; refreshed from the event stream.
import { call, get } from '/console/api.js';
import { age, badge, errorBox, h, state } from '/console/ui.js';

const PAGE_SIZE = 20;

export function renderFleet({ main, session }) {
  const params = new URLSearchParams(location.hash.split('?')[1] || '');
  let search = params.get('search') || '';
  let pageNo = 1;
  let timer = null;
  let disposed = false;

  const searchInput = h('input', { id: 'search', type: 'search', value: search, size: 60,
                                   placeholder: "labels.env='prod' and generation > 1" });
  const summary = h('div', { class: 'summary', id: 'summary' });
  const table = h('div', { id: 'clusters' });
  const pager = h('div', { class: 'pager' });
  const message = h('div');
  const canWrite = session.role === 'admin';

  const nameInput = h('input', { id: 'new-name', placeholder: 'name', required: true,
                                 pattern: '[a-z0-9]([-a-z0-9]*[a-z0-9])?' });
  const specInput = h('textarea', { id: 'new-spec', rows: 2, cols: 40 }, '{}');
  const createForm = canWrite ? h('form', { class: 'create', id: 'create-form', onsubmit: create },
    h('strong', {}, 'New cluster '), nameInput, ' spec ', specInput,
    h('button', { type: 'submit', id: 'create' }, 'Create')) : null;

  main.replaceChildren(
    h('h1', {}, 'Fleet'),
    h('form', { class: 'search', onsubmit: (e) => { e.preventDefault(); search = searchInput.value.trim(); pageNo = 1; load(); } },
      searchInput, h('button', { type: 'submit' }, 'Search')),
    summary, message, table, pager, createForm);

  async function create(e) {
    e.preventDefault();
    message.replaceChildren();
    let spec;
    try { spec = JSON.parse(specInput.value || '{}'); } catch (err) {
      message.replaceChildren(errorBox(new Error('spec is not JSON: ' + err.message)));
      return;
    }
    try {
      await call('POST', '/clusters', { kind: 'Cluster', name: nameInput.value.trim(), spec });
      nameInput.value = '';
      load();
    } catch (err) { message.replaceChildren(errorBox(err)); }
  }

  const and = (extra) => (search ? `(${search}) and ${extra}` : extra);
  async function total(filter) {
    const page = await get('/clusters?size=1&search=' + encodeURIComponent(filter));
    return page.total;
  }

  async function load() {
    try {
      const q = `/clusters?page=${pageNo}&size=${PAGE_SIZE}&order=created_time%20desc` +
                (search ? '&search=' + encodeURIComponent(search) : '');
      const [page, reconciled, deleting] = await Promise.all([
        get(q), total(and("status.conditions.Reconciled='True'")), total(and('deleted_time is not null'))]);
      if (disposed) return;
      message.replaceChildren();
      summary.replaceChildren(
        h('span', { class: 'count', 'data-count': 'total' }, `${page.total} clusters`),
        h('span', { class: 'count ok', 'data-count': 'reconciled' }, `${reconciled} Reconciled`),
        h('span', { class: 'count pending', 'data-count': 'pending' }, `${page.total - reconciled - deleting} not reconciled`),
        h('span', { class: 'count deleting', 'data-count': 'deleting' }, `${deleting} deleting`));
      table.replaceChildren(h('table', {},
        h('thead', {}, h('tr', {}, ['Name', 'State', 'Generation', 'Age', 'Labels', 'ID'].map((t) => h('th', {}, t)))),
        h('tbody', {}, page.items.map((c) => h('tr', { 'data-id': c.id, 'data-name': c.name },
          h('td', {}, h('a', { href: '#/clusters/' + c.id }, c.name)),
          h('td', { class: 'state-cell' }, badge(state(c))),
          h('td', {}, String(c.generation)),
          h('td', { title: c.created_time }, age(c.created_time)),
          h('td', {}, Object.entries(c.labels || {}).map(([k, v]) => h('span', { class: 'label' }, `${k}=${v}`))),
          h('td', { class: 'mono' }, c.id.slice(0, 13) + '…'))))));
      const pages = Math.max(1, Math.ceil(page.total / PAGE_SIZE));
      pager.replaceChildren(
        h('button', { type: 'button', disabled: pageNo <= 1, onclick: () => { pageNo--; load(); } }, '‹ Prev'),
        ` page ${pageNo} of ${pages} `,
        h('button', { type: 'button', disabled: pageNo >= pages, onclick: () => { pageNo++; load(); } }, 'Next ›'));
    } catch (err) {
      if (!disposed) message.replaceChildren(errorBox(err));
    }
  }

  // Many events come in bursts (an adapter chain): one reload per quarter second at most.
  function refreshSoon() {
    if (timer) return;
    timer = setTimeout(() => { timer = null; load(); }, 250);
  }

  load();
  return {
    onEvent: (reason, item) => { if (item.aggregate_type === 'Cluster') refreshSoon(); },
    onReset: refreshSoon,
    dispose: () => { disposed = true; clearTimeout(timer); },
  };
}
