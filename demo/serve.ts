/**
 * `npm run demo` (until the demo issue replaces it with the PWA and dashboard): builds the
 * browser harness, publishes model v1 with the real CLI into a fresh registry, serves both,
 * and prints the URL. The page verifies the signed manifest, downloads and checks each chunk,
 * and runs the model with onnxruntime-web, all in the browser.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'vite';
import { mlpModel } from '../src/testing/models';
import { createTestRegistry } from '../src/testing/registry';

const root = new URL('..', import.meta.url).pathname;
await build({ configFile: join(root, 'vite.config.ts'), mode: 'e2e', logLevel: 'warn' });
const registry = await createTestRegistry({ appDir: join(root, 'dist/e2e') });
await registry.publish(mlpModel(1), { name: 'mlp', version: '1.0.0', chunkSize: 256 });
// The demo page reads the key to pin from here; a real app ships it in its bundle.
await writeFile(join(registry.dir, 'demo-key.json'), JSON.stringify(registry.publicKey));

console.log(`Baton demo: ${registry.server.url}/index.html?demo=mlp`);
console.log('Press Ctrl-C to stop.');
const stop = () => void registry.dispose().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
