// Screenshots of every page (desktop light, desktop dark, phone) for a look by eye.
//
//   MIXMEET_BIN=build/src/mixmeet MIXMEET_SCREENSHOT_DIR=/tmp/shots node tests/e2e/screenshots.mjs
//
// Registers a user, creates a meeting and sends a chat line so the pages have content.

import fs from 'node:fs';
import path from 'node:path';
import { launchBrowser, log, runTest, serverBinary, sourceRoot, startServer, waitFor } from './harness.mjs';

const outDir = path.resolve(process.env.MIXMEET_SCREENSHOT_DIR || 'screenshots');

await runTest(
  'screenshots',
  async (resources) => {
    const root = sourceRoot();
    const { baseUrl } = await startServer(resources, { bin: serverBinary(root), root });
    fs.mkdirSync(outDir, { recursive: true });
    const context = await launchBrowser(resources, 'shots');
    const page = context.pages()[0] || (await context.newPage());

    await page.goto(`${baseUrl}/register.html`);
    await page.fill('#email', 'ada@example.org');
    await page.fill('#username', 'ada');
    await page.fill('#display-name', 'Ada Lovelace');
    await page.fill('#password', 'analytical-engine');
    await page.fill('#password2', 'analytical-engine');
    await Promise.all([page.waitForURL(`${baseUrl}/`), page.click('#register-button')]);
    await page.fill('#new-title-input', 'Design review');
    await page.click('#new-button');
    await page.locator('#new-result').waitFor();
    const id = await page.locator('#new-meeting-id').textContent();

    await page.goto(`${baseUrl}/m/${id}`);
    // The lobby first (camera preview, devices, mic level), then join.
    await page.locator('#prejoin').waitFor({ state: 'visible' });
    await waitFor('lobby preview', () => page.evaluate(() => document.getElementById('lobby-video').videoWidth > 0));
    for (const [variant, size] of [['desktop', { width: 1280, height: 800 }], ['phone', { width: 390, height: 844 }]]) {
      await page.setViewportSize(size);
      const file = path.join(outDir, `lobby-${variant}.png`);
      await page.screenshot({ path: file, fullPage: true });
      log(`wrote ${file}`);
    }
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.click('#prejoin-button');
    await waitFor('chat enabled', () => page.locator('#chat-input').isEnabled());
    for (const text of ['Hello everyone!', 'Agenda: 1) pages 2) server 3) tests. A long line that wraps around the chat bubble nicely.']) {
      await page.fill('#chat-input', text);
      await page.press('#chat-input', 'Enter');
    }
    await waitFor('chat shown', async () => (await page.locator('.chat-message').count()) >= 2);
    await waitFor('video', () => page.evaluate(async () => (await window.mixmeet.stats()).framesDecoded > 5), { timeoutMs: 30000 });

    const shots = [
      ['room', `/m/${id}`],
      ['dashboard', '/'],
      ['profile', '/profile.html'],
      ['nosuch', '/m/zzz-zzzz-zzz'],
    ];
    const variants = [
      ['desktop-light', { width: 1280, height: 800 }, 'light'],
      ['desktop-dark', { width: 1280, height: 800 }, 'dark'],
      ['phone', { width: 390, height: 844 }, 'light'],
    ];
    // The room page is already open: shoot it first, then leave.
    for (const [variant, size, scheme] of variants) {
      await page.setViewportSize(size);
      await page.emulateMedia({ colorScheme: scheme });
      const file = path.join(outDir, `room-${variant}.png`);
      await page.screenshot({ path: file, fullPage: variant === 'phone' });
      log(`wrote ${file}`);
    }
    // The phone with the chat open over the video, and the security note.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.click('#chat-button');
    await page.screenshot({ path: path.join(outDir, 'room-phone-chat.png') });
    await page.click('#chat-close');
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.click('#security-info summary');
    await page.screenshot({ path: path.join(outDir, 'room-security-info.png') });
    await page.click('#security-info summary');
    await page.click('#leave-button');
    await page.locator('#left').waitFor({ state: 'visible' });
    await page.screenshot({ path: path.join(outDir, 'left.png') });
    log('wrote room-phone-chat.png, room-security-info.png, left.png');
    for (const [name, url] of shots.slice(1)) {
      for (const [variant, size, scheme] of variants) {
        await page.setViewportSize(size);
        await page.emulateMedia({ colorScheme: scheme });
        await page.goto(`${baseUrl}${url}`);
        await page.waitForLoadState('networkidle').catch(() => {});
        if (name === 'dashboard') {
          await page.fill('#user-search', 'a');
          await page.locator('#user-results li').first().waitFor();
        }
        const file = path.join(outDir, `${name}-${variant}.png`);
        await page.screenshot({ path: file, fullPage: true });
        log(`wrote ${file}`);
      }
    }
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.emulateMedia({ colorScheme: 'light' });
    await page.click('#signout-button').catch(() => {});
    for (const name of ['login', 'register', 'forgot', 'reset']) {
      await page.goto(`${baseUrl}/${name}.html${name === 'reset' ? '?token=x' : ''}`);
      const file = path.join(outDir, `${name}.png`);
      await page.screenshot({ path: file });
      log(`wrote ${file}`);
    }
  },
  { timeoutMs: 120000 },
);
