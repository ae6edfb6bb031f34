// The console in a real browser (Debian's chromium, driven by playwright-core) against a real
// `hyperfleet dev --auth` started by run_console_test.sh, which sets:
//   HF_URL        the API port's URL (the console is at /)
//   HF_TOKEN_FILE dev's admin token;  HF_KEY_FILE its signing key (to mint a reader token)
//   HF_OUT        where the screenshots go
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSign, createPrivateKey, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const URL_BASE = process.env.HF_URL;
const OUT = process.env.HF_OUT;
const ADMIN = readFileSync(process.env.HF_TOKEN_FILE, 'utf8').trim();
const API = URL_BASE + '/api/hyperfleet/v1';

// A token like dev's admin one but for another subject with no admin role (a reader), signed
// with dev's key.
function readerToken() {
  const [head, body] = ADMIN.split('.');
  const header = JSON.parse(Buffer.from(head, 'base64url'));
  const claims = { ...JSON.parse(Buffer.from(body, 'base64url')), sub: 'console-reader', roles: ['viewer'] };
  const input = `${head}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  const key = createPrivateKey(readFileSync(process.env.HF_KEY_FILE));
  const digest = { RS256: 'sha256', ES256: 'sha256', ES384: 'sha384', PS256: 'sha256' }[header.alg] || 'sha256';
  const options = header.alg.startsWith('ES') ? { key, dsaEncoding: 'ieee-p1363' }
                : header.alg.startsWith('PS') ? { key, padding: 6, saltLength: 32 } : key;
  const signature = header.alg === 'EdDSA' ? sign(null, Buffer.from(input), key)
                                           : sign(digest, Buffer.from(input), options);
  return `${input}.${signature.toString('base64url')}`;
}

async function api(method, path, body, token = ADMIN) {
  const res = await fetch(API + path, {
    method, headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

let browser;
const dirs = [];
const requestedUrls = [];

// A fresh browser profile and page with `token` pasted into the console's token form.
async function signedInPage(token) {
  const dir = mkdtempSync(join(tmpdir(), 'hf-chromium-'));
  dirs.push(dir);
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    viewport: { width: 1280, height: 900 },
  });
  const page = context.pages()[0] || await context.newPage();
  page.on('request', (r) => requestedUrls.push(r.url()));
  page.on('pageerror', (e) => console.error('page error:', e));
  await page.goto(URL_BASE + '/');
  await page.locator('#token-input').fill(token);
  await page.locator('#token-form button[type=submit]').click();
  await page.locator('#who').filter({ hasText: '·' }).waitFor();
  return { context, page };
}

before(async () => {});
after(async () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('console pages with an admin and a reader token', { timeout: 180_000 }, async (t) => {
  // The page itself is open, with a strict CSP, and needs a token for the data.
  const index = await fetch(URL_BASE + '/');
  assert.equal(index.status, 200);
  assert.match(index.headers.get('content-security-policy'), /script-src 'self'/);
  assert.equal(index.headers.get('x-content-type-options'), 'nosniff');
  assert.equal((await fetch(API + '/clusters')).status, 401);

  const existing = await api('POST', '/clusters', { kind: 'Cluster', name: 'made-by-api', spec: {} });
  const { context, page } = await signedInPage(ADMIN);
  await page.evaluate(() => { window.__loadedOnce = true; });

  await t.test('the fleet page lists the clusters', async () => {
    await page.locator(`tr[data-id="${existing.id}"]`).waitFor();
    await page.locator('#stream-state', { hasText: 'live' }).waitFor();
  });

  let created;
  await t.test('a cluster created in the page reaches Reconciled live, without a reload', async () => {
    await page.locator('#new-name').fill('made-in-browser');
    await page.locator('#create').click();
    const row = page.locator('tr[data-name="made-in-browser"]');
    await row.waitFor();
    await row.locator('.state-cell', { hasText: 'Reconciled' }).waitFor({ timeout: 60_000 });
    assert.equal(await page.evaluate(() => window.__loadedOnce), true, 'the page was reloaded');
    created = await row.getAttribute('data-id');
    await page.locator('[data-count="reconciled"]', { hasText: /[1-9]\d* Reconciled/ }).waitFor();
    await page.screenshot({ path: join(OUT, 'fleet.png'), fullPage: true });
  });

  await t.test('the cluster page shows the adapter lanes completing in order', async () => {
    const session = await api('GET', '/session');
    const adapters = session.required_adapters.Cluster;
    assert.ok(adapters.length >= 3, JSON.stringify(session));
    const fresh = await api('POST', '/clusters', { kind: 'Cluster', name: 'lanes', spec: {} });
    await page.goto(URL_BASE + '/#/clusters/' + fresh.id);
    await page.locator('.lane').first().waitFor();
    const doneAt = {};
    const start = Date.now();
    while (Object.keys(doneAt).length < adapters.length && Date.now() - start < 60_000) {
      const done = await page.locator('.lane[data-done="true"]').evaluateAll(
          (lanes) => lanes.map((l) => l.dataset.adapter));
      for (const a of done) if (!(a in doneAt)) doneAt[a] = Date.now() - start;
      await page.waitForTimeout(50);
    }
    assert.deepEqual(Object.keys(doneAt).sort(), [...adapters].sort(), JSON.stringify(doneAt));
    for (let i = 1; i < adapters.length; ++i) {
      assert.ok(doneAt[adapters[i - 1]] <= doneAt[adapters[i]],
                `${adapters[i - 1]} completed after ${adapters[i]}: ${JSON.stringify(doneAt)}`);
    }
    await page.locator('#cluster-state', { hasText: 'Reconciled' }).waitFor({ timeout: 30_000 });
    for (const a of adapters) {
      assert.ok(await page.locator(`.lane[data-adapter="${a}"] .step[data-type="Available"][data-status="True"]`).count() >= 1);
    }
    await page.locator('.timeline li[data-reason="created"]').waitFor();
    await page.screenshot({ path: join(OUT, 'cluster.png'), fullPage: true });
  });

  await t.test('the pipeline page shows the outbox and the adapters', async () => {
    await page.goto(URL_BASE + '/#/pipeline');
    await page.locator('[data-figure="outbox pending"]').waitFor();
    await page.locator('#adapter-figures tr[data-adapter="validation"]').waitFor();
    await page.screenshot({ path: join(OUT, 'pipeline.png'), fullPage: true });
  });

  await t.test('an admin deletes a cluster after confirming', async () => {
    await page.goto(URL_BASE + '/#/clusters/' + created);
    page.once('dialog', (d) => d.accept());
    await page.locator('#delete').click();
    await page.locator('#cluster-state', { hasText: /Deleting|not found/ }).or(
        page.locator('h1', { hasText: 'Cluster not found' })).first().waitFor({ timeout: 30_000 });
  });
  await context.close();

  await t.test('a reader sees no create, patch or delete', async () => {
    const reader = await signedInPage(readerToken());
    await reader.page.locator(`tr[data-id="${existing.id}"]`).waitFor();
    assert.equal(await reader.page.locator('#create-form').count(), 0);
    await reader.page.goto(URL_BASE + '/#/clusters/' + existing.id);
    await reader.page.locator('#read-only').waitFor();
    assert.equal(await reader.page.locator('#delete').count(), 0);
    assert.equal(await reader.page.locator('#patch').count(), 0);
    await reader.page.screenshot({ path: join(OUT, 'cluster-reader.png'), fullPage: true });
    await reader.context.close();
  });

  // The token never travels in a URL.
  for (const u of requestedUrls) assert.ok(!u.includes(ADMIN.slice(-20)), u);
});
