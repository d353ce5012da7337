// Live HLS from the meeting page to the watch page, end to end in real browsers
// (docs/recording.md, "Live streaming").
//
//   MIXMEET_BIN=build/src/mixmeet MIXMEET_SOURCE_ROOT=$PWD node tests/e2e/watch.mjs
//
//  1. Alice (host) registers, creates a meeting and joins it;
//  2. in the Live menu she turns HLS on for anyone with the link: the page shows the Live
//     indicator and the watch link;
//  3. a viewer with no account opens the watch page: hls.js plays it (video.currentTime
//     advances);
//  4. Alice switches to participants only: the viewer's fetch of the playlist gets 401.
//
// Exit code 0 on success, 1 on failure (with browser consoles and server output printed).

import { fail, launchBrowser, log, runTest, serverBinary, sourceRoot, startServer, waitFor } from './harness.mjs';

const stamp = Date.now().toString(36);
const ALICE = {
  email: `alice.${stamp}@example.org`,
  username: `alice_${stamp}`,
  displayName: 'Alice Example',
  password: 'correct horse battery',
};

await runTest(
  'watch',
  async (resources) => {
    const root = sourceRoot();
    const bin = serverBinary(root);
    const { baseUrl } = await startServer(resources, { bin, root, extraConfig: '[streaming]\nsegment_s=1' });
    const browserA = await launchBrowser(resources, 'alice');
    const page = browserA.pages()[0] || (await browserA.newPage());
    await page.goto(`${baseUrl}/register.html`);
    await page.fill('#email', ALICE.email);
    await page.fill('#username', ALICE.username);
    await page.fill('#display-name', ALICE.displayName);
    await page.fill('#password', ALICE.password);
    await page.fill('#password2', ALICE.password);
    await Promise.all([page.waitForURL(`${baseUrl}/`, { timeout: 10000 }), page.click('#register-button')]);

    // ---- 1. a meeting, Alice in it
    await page.fill('#new-title-input', 'Streamed town hall');
    await page.click('#new-button');
    await page.locator('#new-result').waitFor({ state: 'visible', timeout: 10000 });
    const meetingId = (await page.locator('#new-meeting-id').textContent()).trim();
    await page.goto(`${baseUrl}/m/${meetingId}`);
    await page.locator('#prejoin').waitFor({ state: 'visible', timeout: 10000 });
    await page.click('#prejoin-button');

    // ---- 2. HLS on, for anyone with the link
    await page.locator('#live-menu').waitFor({ state: 'visible', timeout: 20000 });
    await page.click('#live-menu > summary');
    await page.selectOption('#hls-access', 'anyone');
    await page.check('#hls-toggle');
    await waitFor('the Live indicator and the watch link', async () =>
      (await page.locator('#live-indicator').isVisible()) && (await page.locator('#watch-link').isVisible()));
    const watchUrl = await page.locator('#watch-link').getAttribute('href');
    log(`Alice turned HLS on: watch link ${watchUrl}`);

    // ---- 3. a viewer without an account plays it
    const browserV = await launchBrowser(resources, 'viewer');
    const viewer = browserV.pages()[0] || (await browserV.newPage());
    await viewer.goto(`${baseUrl}${watchUrl}`);
    let first = null;
    await waitFor(
      'the watch page to play (currentTime advancing)',
      async () => {
        const t = await viewer.evaluate(() => window.mixmeetWatch.video.currentTime);
        if (first === null && t > 0) first = t;
        return { t, status: await viewer.locator('#watch-status').textContent(), ok: first !== null && t > first + 1 };
      },
      { timeoutMs: 40000 },
    );
    log('the viewer plays the HLS stream');

    // ---- 4. participants only: the anonymous viewer is refused
    await page.selectOption('#hls-access', 'participants');
    await waitFor('the playlist to be refused to the anonymous viewer', async () => {
      const status = await viewer.evaluate(async (id) => (await fetch(`/live/${id}/index.m3u8`)).status, meetingId);
      return { status, ok: status === 401 };
    });
    log('participants only: the viewer gets 401');
    if (!(await page.locator('#hls-toggle').isChecked())) fail('HLS went off');
  },
  { timeoutMs: 150000 },
);
