// The in-meeting experience in real pages: reactions and hands, the layout picker, tiles
// clickable to pin someone, the self-view over our own tile (web/js/room/layout.js).
//
//   MIXMEET_BIN=build/src/mixmeet MIXMEET_SOURCE_ROOT=$PWD node tests/e2e/meeting-ui.mjs
//
// An open room with two pages, Ann (host, first joiner) and Bob:
// 1. Bob raises a hand and reacts: the server draws them on his tile (what the page can see:
//    the roster's hand, the reaction message);
// 2. Ann picks the speaker layout for herself: her `layout` says speaker, Bob's stays grid;
//    then the grid for everyone as host;
// 3. Ann clicks Bob's tile and pins him: her layout is speaker with Bob large; unpins;
// 4. Ann's mirrored self-view lies over her own tile.
//
// Exit code 0 on success, 1 on failure (with browser console and server stderr printed).

import {
  describeRoom,
  fail,
  launchBrowser,
  log,
  roomStats,
  runTest,
  serverBinary,
  sourceRoot,
  startServer,
  waitFor,
} from './harness.mjs';

const ROOM = 'e2e-meeting-ui';

async function openRoom(browser, baseUrl, name) {
  const page = browser.pages()[0] || (await browser.newPage());
  const url = `${baseUrl}/room.html?room=${ROOM}&name=${encodeURIComponent(name)}`;
  const response = await page.goto(url);
  if (!response || !response.ok()) fail(`GET ${url} answered ${response && response.status()}`);
  log(`${name}: opened ${url}`);
  return { name, page };
}

const stateOf = (who) => who.page.evaluate(() => window.mixmeet.state());

async function waitForState(who, what, predicate, timeoutMs = 15000) {
  return waitFor(
    `${who.name}: ${what}`,
    async () => {
      const s = await stateOf(who);
      return { ...s, ok: predicate(s) };
    },
    {
      timeoutMs,
      describe: (s) => JSON.stringify({ layout: s && s.layout, roster: s && s.roster, errors: s && s.errors }),
    },
  );
}

const idOf = (s, name) => (s.roster || []).find((p) => p.name === name)?.id;

await runTest(
  'meeting-ui',
  async (resources) => {
    const root = sourceRoot();
    const { baseUrl } = await startServer(resources, {
      bin: serverBinary(root),
      root,
      extraConfig: '[auth]\nopen_rooms=true',
    });
    const ann = await openRoom(await launchBrowser(resources, 'ann'), baseUrl, 'Ann');
    await waitForState(ann, 'host', (s) => (s.roster || []).some((p) => p.name === 'Ann' && p.host));
    const bob = await openRoom(await launchBrowser(resources, 'bob'), baseUrl, 'Bob');
    for (const who of [ann, bob]) {
      await waitFor(
        `${who.name} connected with both in the list`,
        async () => {
          const s = await roomStats(who.page);
          return { ...s, ok: s.connectionState === 'connected' && s.participants?.length === 2 };
        },
        { timeoutMs: 30000, describe: describeRoom },
      );
      await waitForState(who, 'a layout with two tiles', (s) => s.layout?.tiles?.length === 2);
    }

    // 1. A hand and a reaction from Bob.
    await bob.page.click('#hand-button');
    await waitForState(ann, "Bob's hand", (s) => (s.roster || []).some((p) => p.name === 'Bob' && p.hand));
    await bob.page.click('#reaction-menu > summary');
    await bob.page.locator('#reaction-bar button').first().click();
    await waitForState(ann, "Bob's reaction", (s) => (s.reactions || []).length > 0);
    log('Bob: hand raised and a reaction sent');

    // 2. The layout picker: mine, then the meeting's as host.
    await ann.page.click('#layout-menu > summary');
    await bob.page.click('#layout-menu > summary');
    await ann.page.selectOption('#layout-select', 'speaker');
    await waitForState(ann, 'speaker layout', (s) => s.layout?.layout === 'speaker' && s.layout?.choice === 'speaker');
    if ((await stateOf(bob)).layout?.layout !== 'grid') fail("Ann's choice changed Bob's layout");
    await ann.page.selectOption('#layout-select', 'auto');
    await waitForState(ann, 'back to the meeting layout', (s) => s.layout?.choice === 'auto');
    if (!(await ann.page.locator('#meeting-layout-select').isVisible())) fail('host has no meeting picker');
    if (await bob.page.locator('#meeting-layout-select').isVisible()) fail('Bob sees the meeting picker');
    await ann.page.selectOption('#meeting-layout-select', 'speaker');
    await waitForState(bob, 'the meeting layout from the host', (s) => s.layout?.meetingLayout === 'speaker' && s.layout?.layout === 'speaker');
    await ann.page.selectOption('#meeting-layout-select', 'grid');
    await waitForState(bob, 'grid again', (s) => s.layout?.layout === 'grid');
    await ann.page.click('#layout-menu > summary');
    log('Ann: picked her layout, then the meeting layout for everyone');

    // 3. Click Bob's tile and pin him.
    const bobId = idOf(await stateOf(ann), 'Bob');
    const tile = ann.page.locator(`.tile-hit[data-participant-id="${bobId}"]`);
    await tile.locator('.tile-button').click();
    await tile.locator('.tile-pin').click();
    const pinned = await waitForState(ann, 'Bob pinned', (s) => s.layout?.pin === bobId && s.layout?.layout === 'speaker');
    const large = pinned.layout.tiles.reduce((a, b) => (a.width * a.height >= b.width * b.height ? a : b));
    if (large.id !== bobId) fail(`the large tile is ${large.id}, not Bob`);
    if ((await stateOf(bob)).layout?.pin) fail("Ann's pin reached Bob");
    await ann.page.locator(`.tile-hit[data-participant-id="${bobId}"] .tile-button`).click();
    await ann.page.locator(`.tile-hit[data-participant-id="${bobId}"] .tile-pin`, { hasText: 'Unpin' }).click();
    await waitForState(ann, 'unpinned', (s) => !s.layout?.pin && s.layout?.layout === 'grid');
    log('Ann: pinned Bob from his tile, then unpinned');

    // 4. Ann's self-view over her own tile.
    const annId = idOf(await stateOf(ann), 'Ann');
    const box = await ann.page.locator(`.tile-hit[data-participant-id="${annId}"]`).boundingBox();
    const self = await ann.page.locator('#tile-self').boundingBox();
    if (!box || !self) fail('no tile or no self-view over it');
    if (Math.abs(box.x - self.x) > 2 || Math.abs(box.width - self.width) > 2) {
      fail(`self-view ${JSON.stringify(self)} is not over the tile ${JSON.stringify(box)}`);
    }
    log('Ann: the mirrored self-view lies over her tile');
  },
  { timeoutMs: 120000 },
);
