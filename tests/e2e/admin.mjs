// The admin page (/admin; docs/api.md, "Admin") in a real browser.
//
//   MIXMEET_BIN=build/src/mixmeet MIXMEET_SOURCE_ROOT=$PWD node tests/e2e/admin.mjs
//
// 1. Ada registers; before `mixmeet set-role ada admin` her dashboard has no Admin link and
//    her /admin says it is for admins only; after it, the dashboard links /admin;
// 2. after it, /admin lists the open room Bob and Cy are in, with their tiers and link figures;
// 3. Ada clicks Remove on Bob's row: Bob's page says a server admin removed him, and the row
//    goes away;
// 4. Ada clicks End meeting: Cy's page says a server admin ended the meeting, and /admin shows
//    no live rooms.
//
// Exit code 0 on success, 1 on failure (with browser console and server stderr printed).

import { execFileSync } from 'node:child_process';
import path from 'node:path';

import { fail, launchBrowser, log, runTest, serverBinary, sourceRoot, startServer, waitFor } from './harness.mjs';

const ROOM = 'e2e-admin';

async function openRoom(context, baseUrl, name) {
  const page = context.pages()[0] || (await context.newPage());
  const url = `${baseUrl}/room.html?room=${ROOM}&name=${encodeURIComponent(name)}`;
  const response = await page.goto(url);
  if (!response || !response.ok()) fail(`GET ${url} answered ${response && response.status()}`);
  log(`${name}: opened ${url}`);
  return { name, page };
}

async function placeholderSays(who, pattern) {
  await waitFor(`${who.name}'s page to say ${pattern}`, async () => {
    const visible = await who.page.locator('#stage-placeholder').isVisible();
    const text = await who.page.textContent('#stage-placeholder');
    return { ok: visible && pattern.test(text || ''), text };
  });
  log(`${who.name}: "${await who.page.textContent('#stage-placeholder')}"`);
}

await runTest('admin', async (resources) => {
  const root = sourceRoot();
  const bin = serverBinary(root);
  const { baseUrl } = await startServer(resources, {
    bin,
    root,
    extraConfig: '[auth]\nopen_rooms=true\npassword_hash=minimum',
  });
  log(`server listening at ${baseUrl}`);

  const adaBrowser = await launchBrowser(resources, 'ada');
  const admin = adaBrowser.pages()[0] || (await adaBrowser.newPage());
  admin.on('dialog', (dialog) => dialog.accept()); // "Remove Bob …?", "End the meeting …?"
  await admin.goto(`${baseUrl}/login.html`);
  const registered = await admin.evaluate(async () => {
    const r = await fetch('/api/register', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: 'ada@example.org', username: 'ada', displayName: 'Ada', password: 'correct horse battery' }),
    });
    return r.status;
  });
  if (registered !== 201) fail(`registration answered ${registered}`);

  const adminLinkVisible = async () => {
    await admin.goto(`${baseUrl}/`);
    await admin.waitForSelector('#admin-link', { state: 'attached' });
    await admin.waitForFunction(() => document.getElementById('user-name').textContent !== '…');
    return admin.locator('#admin-link').isVisible();
  };
  if (await adminLinkVisible()) fail('the dashboard links /admin for a plain account');
  await admin.goto(`${baseUrl}/admin`);
  await waitFor('/admin to refuse a plain account', async () => ({
    ok: /admins only/.test((await admin.textContent('#admin-status')) || ''),
  }));
  log('Ada (not yet admin): /admin says it is for admins only');

  const out = execFileSync(bin, ['set-role', 'ada', 'admin', '--config', path.join(resources.tmpDir, 'mixmeet.ini')], {
    encoding: 'utf8',
  });
  log(`set-role: ${out.trim()}`);
  if (!(await adminLinkVisible())) fail('the dashboard does not link /admin for an admin');
  log('Ada: the dashboard links /admin');

  const bob = await openRoom(await launchBrowser(resources, 'bob'), baseUrl, 'Bob');
  const cy = await openRoom(await launchBrowser(resources, 'cy'), baseUrl, 'Cy');

  await admin.goto(`${baseUrl}/admin`);
  const rows = admin.locator(`section.admin-room[data-room="${ROOM}"] tbody tr`);
  await waitFor('/admin to list Bob and Cy in the room', async () => {
    const texts = await rows.allTextContents();
    return { ok: texts.length === 2 && texts.some((t) => t.includes('Bob')) && texts.some((t) => t.includes('Cy')), texts };
  });
  log(`Ada: /admin lists ${(await rows.allTextContents()).join(' | ')}`);

  await admin.locator(`section.admin-room[data-room="${ROOM}"] tr`, { hasText: 'Bob' }).locator('button.admin-remove').click();
  await placeholderSays(bob, /server admin removed you/);
  await waitFor('/admin to drop Bob', async () => {
    const texts = await rows.allTextContents();
    return { ok: texts.length === 1 && texts[0].includes('Cy'), texts };
  });

  await admin.locator(`section.admin-room[data-room="${ROOM}"] button.admin-end`).click();
  await placeholderSays(cy, /server admin ended the meeting/);
  await waitFor('/admin to show no live rooms', async () => ({
    ok: /No live rooms/.test((await admin.textContent('#admin-status')) || ''),
  }));
  log('Ada: /admin shows no live rooms');
});
