// The same app built by webpack 5 with no plugin: the key, the manifest and (here) no service
// worker are passed to createRuntime, and webpack finds baton-ml's inference worker by itself.
import { exposeRuntimeForTests } from 'baton-ml/testing/app';
// #region without-plugin
import { createRuntime } from 'baton-ml';
import publicKey from '../keys/baton-public.json';

const starting = createRuntime({
  model: 'mlp',
  manifestUrl: 'registry/mlp/manifest.json',
  publicKeys: [publicKey],
  // serviceWorker: { scriptUrl: '/sw.js' }, // one that calls installBaton() from baton-ml/sw
});
// #endregion without-plugin

const input = () => ({ x: { type: 'float32', data: Float32Array.of(0.5, -1, 2, 0.25), dims: [1, 4] } });
starting.then(
  (rt) => {
    exposeRuntimeForTests(rt, { input });
    const render = () => (document.querySelector('#serving').value = rt.status().serving?.version ?? 'nothing');
    rt.on('switch', render);
    render();
  },
  (e) => (document.querySelector('#serving').value = `failed to start: ${e}`),
);
