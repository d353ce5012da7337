// The start page alone: signed out, / leads to the login page, which refuses an empty form
// and an unknown account. Cheap; no media involved.
//
//   MIXMEET_BIN=build/src/mixmeet MIXMEET_SOURCE_ROOT=$PWD node tests/e2e/index-page.mjs

import {
  checkStartPage,
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
    await checkStartPage(await launchBrowser(resources, 'index'), baseUrl);
  },
  { timeoutMs: 30000 },
);
