/**
 * `npm run demo [-- --scenario] [-- --port <n>] [-- --no-build]`: builds the demo PWA, starts a
 * registry with v1 (Silero VAD v5) published by the real CLI, serves both and prints the URL.
 * The dashboard's dev panel runs the scenario (v2 at 50 %, then a broken v3); `--scenario`
 * makes the page play it by itself as soon as it opens.
 */
import { parseArgs } from 'node:util';
import { startDemo } from './server/start-demo.js';

const { values } = parseArgs({
  options: {
    scenario: { type: 'boolean', default: false },
    port: { type: 'string', default: '4173' },
    'no-build': { type: 'boolean', default: false },
  },
});

const demo = await startDemo({
  port: Number(values.port),
  build: !values['no-build'],
  autoplay: values.scenario,
  log: (line) => console.log(line),
});

console.log(`
Baton demo: ${demo.url}
  Open it in Chromium (or Chrome/Edge). ${values.scenario ? 'The scenario plays by itself when the page opens.' : 'Press "Play whole scenario" in the dev panel, or run the steps one by one.'}
  The app is an installable PWA and keeps working offline once loaded.
Press Ctrl-C to stop.`);

const stop = () => void demo.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
