/**
 * The same page built by webpack 5 with no plugin and no option for the worker: the inference
 * worker that baton-ml starts by `new URL(…, import.meta.url)` is found and bundled by webpack.
 */
import { fileURLToPath } from 'node:url';
import { checkForUpdate, expect, mlpModel, startLoad, stopLoad, test, waitForLoad, waitForVersion } from 'baton-ml/testing';

test.use({ batonAppDir: fileURLToPath(new URL('../dist-webpack', import.meta.url)) });

test('a webpack build loads the inference worker, serves v1 and switches to v2 with no failed request', async ({ page, registry }) => {
  await registry.publish(mlpModel(1), { version: '1' });
  await page.goto(registry.server.url);
  await waitForVersion(page, '1');
  await expect(page.locator('#serving')).toHaveText('1');
  await startLoad(page, { intervalMs: 5 });
  await waitForLoad(page, 10);
  await registry.publish(mlpModel(2), { version: '2' });
  await checkForUpdate(page);
  await waitForVersion(page, '2');
  await waitForLoad(page, 10, { where: (r) => r.version === '2' });
  const records = await stopLoad(page);
  expect(records).toHaveNoFailedRequests();
  expect(records).toSwitchOnce('1', '2');
  // The worker came from webpack's own output, not from node_modules.
  expect(registry.requests({ path: /\.js$/ }).map((r) => r.path)).toContain('/main.js');
});
