/**
 * `npm run test:example`: the quick-start app as a stranger gets it. Packs this repository
 * (`npm pack`, which builds the package), copies examples/quickstart to a fresh directory outside
 * the repository (so nothing can resolve into src/ or the repository's node_modules), installs
 * the tarball and the app's other dependencies from npm, then runs the app's own type checks
 * and its Playwright suite (production build, dev server, webpack build).
 *
 * `--keep` leaves the directory for a look afterwards; it is also kept when a step fails.
 * `--prebuilt` packs dist/lib as it is (`npm pack --ignore-scripts`), for quick iterations.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
const example = join(repo, 'examples', 'quickstart');
const keep = process.argv.includes('--keep');
const prebuilt = process.argv.includes('--prebuilt');

function step(what: string, command: string, args: string[], cwd: string): void {
  console.log(`\n▶ ${what}: ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { cwd, stdio: 'inherit', env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false' } });
  if (result.status !== 0) {
    console.error(`\n✗ ${what} failed (exit ${result.status ?? result.signal}); the app is left in ${cwd}`);
    process.exit(1);
  }
}

const packDir = join(repo, '.cache', 'pack');
rmSync(packDir, { recursive: true, force: true });
mkdirSync(packDir, { recursive: true });
step('pack baton-ml', 'npm', ['pack', '--silent', '--pack-destination', packDir, ...(prebuilt ? ['--ignore-scripts'] : [])], repo);
const tarball = join(
  packDir,
  readdirSync(packDir).find((f) => f.endsWith('.tgz'))!,
);

const app = mkdtempSync(join(tmpdir(), 'baton-quickstart-'));
cpSync(example, app, {
  recursive: true,
  filter: (src) => !/[\\/](node_modules|dist|dist-webpack|test-results|keys|registry|\.cache)$/.test(src),
});
// The app depends on baton-ml from npm; here, on the tarball just packed.
const pkg = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
pkg.dependencies['baton-ml'] = `file:${tarball}`;
writeFileSync(join(app, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');

step('install', 'npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], app);
console.log(`\n  baton-ml ${execFileSync('npm', ['ls', 'baton-ml', '--depth=0'], { cwd: app, encoding: 'utf8' }).split('\n')[1]?.trim()}`);
step('make a key pair with the installed bin', 'npx', ['baton', 'keygen', '--out', 'keys'], app);
step('type check the app and every entry (bundler, NodeNext, Node16, service worker)', 'npm', ['run', 'typecheck'], app);
step("the app's Playwright suite", 'npx', ['playwright', 'test'], app);
if (!keep) rmSync(app, { recursive: true, force: true });
else console.log(`\nthe app is in ${app}`);
