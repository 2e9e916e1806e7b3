// Builds webpack/main.js into dist-webpack/ with webpack 5 and no configuration beyond the
// entry: the `new Worker(new URL(…, import.meta.url))` in baton-ml and onnxruntime-web's wasm
// are webpack's own business.
import { copyFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import webpack from 'webpack';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const stats = await new Promise((resolve, reject) =>
  webpack(
    {
      mode: 'production',
      entry: here('./main.js'),
      output: { path: here('../dist-webpack'), filename: 'main.js', publicPath: 'auto', clean: true },
      performance: { hints: false },
    },
    (err, result) => (err ? reject(err) : resolve(result)),
  ),
);
if (stats.hasErrors()) {
  console.error(stats.toString({ colors: false, modules: false }));
  process.exit(1);
}
await copyFile(here('./index.html'), here('../dist-webpack/index.html'));
