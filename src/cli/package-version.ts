/**
 * `baton --version`: the version in baton-ml's own package.json. The CLI runs from src/cli/ (tsx,
 * tests) and from dist/lib/src/cli/ (the package), two depths apart, so no fixed relative path
 * finds it: walk up from this module to the first package.json that names baton-ml. A
 * package.json of another name on the way (a nested `{"type": "module"}`, an app's own) is skipped.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export const PACKAGE_NAME = 'baton-ml';

/** The version of the baton-ml package that holds `from` (default: this module). */
export async function packageVersion(from: string | URL = import.meta.url): Promise<string> {
  let dir = new URL('.', from);
  for (;;) {
    // Missing, unreadable or not JSON: not ours, keep walking.
    const json = await readFile(new URL('package.json', dir), 'utf8')
      .then((text) => JSON.parse(text) as { name?: unknown; version?: unknown } | null)
      .catch(() => undefined);
    if (json?.name === PACKAGE_NAME && typeof json.version === 'string') return json.version;
    const parent = new URL('..', dir);
    if (parent.href === dir.href) throw new Error(`cannot find the package.json of ${PACKAGE_NAME} above ${fileURLToPath(from)}`);
    dir = parent;
  }
}
