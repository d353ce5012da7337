// The start page alone: the join form is shown, invalid rooms are refused in the page, a
// valid form opens the room page and the name is remembered. Cheap; no media involved.
//
//   MIXMEET_BIN=build/src/mixmeet MIXMEET_SOURCE_ROOT=$PWD node tests/e2e/index-page.mjs

import {
  checkIndexPage,
  launchBrowser,
  log,
  runTest,
  serverBinary,
  sourceRoot,
  startServer,
} from './harness.mjs';

await runTest(
  'index-page',
  async (resources) => {
    const root = sourceRoot();
    const { baseUrl } = await startServer(resources, { bin: serverBinary(root), root });
    log(`server listening at ${baseUrl}`);
    await checkIndexPage(await launchBrowser(resources, 'index'), baseUrl);
  },
  { timeoutMs: 30000 },
);
