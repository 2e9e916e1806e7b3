/**
 * The README's quick start (the region below is the README's snippet, word for word), inside a
 * page that shows what serves. `vite build --mode test` is the build the Playwright tests
 * drive: it exposes the runtime to the test kit, and a production build drops that code.
 */
import { exposeRuntimeForTests } from 'baton-ml/testing/app';
import { show } from './show.js';

// #region quickstart
import { createRuntime } from 'baton-ml';

const rt = await createRuntime({ model: 'mlp' });
rt.on('switch', ({ from, to }) => console.log(`now serving ${to} (was ${from})`));

const x = new Float32Array([0.5, -1, 2, 0.25]);
const { outputs, version } = await rt.run({ x: { type: 'float32', data: x, dims: [1, 4] } });
console.log(`version ${version} says`, outputs['y']?.data);
// #endregion quickstart

if (import.meta.env.MODE === 'test')
  exposeRuntimeForTests(rt, { input: () => ({ x: { type: 'float32', data: Float32Array.of(0.5, -1, 2, 0.25), dims: [1, 4] } }) });
show(rt);
