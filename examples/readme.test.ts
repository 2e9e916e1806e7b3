/**
 * The README's and the docs' code is the code that runs: each README block marked
 * `<!-- include: <file>[#<region>] -->` is that file (or its `// #region`) word for word, and the
 * files are compiled and run by examples/test-installed.ts against the packed package. The
 * option tables of docs/configuration.md list exactly the options the code takes.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const read = (path: string) => readFileSync(`${root}${path}`, 'utf8');

/** The lines between `// #region name` and `// #endregion name`, without them. */
function region(text: string, name: string): string {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.trim() === `// #region ${name}`);
  const end = lines.findIndex((l) => l.trim() === `// #endregion ${name}`);
  if (start < 0 || end < start) throw new Error(`no region ${name}`);
  return lines.slice(start + 1, end).join('\n') + '\n';
}

/** Every README code block announced by an include comment, with what it claims to be. */
function includes(markdown: string): { target: string; block: string }[] {
  return [...markdown.matchAll(/<!-- include: (\S+) -->\n```\w*\n([\s\S]*?)```/g)].map((m) => ({ target: m[1]!, block: m[2]! }));
}

/** The property names of `interface name` in a TypeScript source. */
function interfaceKeys(source: string, name: string): string[] {
  const body = new RegExp(`export interface ${name}[^{]*\\{([\\s\\S]*?)\\n\\}`).exec(source)?.[1];
  if (!body) throw new Error(`no interface ${name}`);
  return [...body.matchAll(/^ {2}readonly (\w+)\??:/gm)].map((m) => m[1]!).sort();
}

/** The first column of the table under `heading` in a markdown document. */
function tableKeys(markdown: string, heading: string): string[] {
  const section = markdown.split(/^## /m).find((s) => s.startsWith(heading));
  if (!section) throw new Error(`no section ${heading}`);
  return [...section.matchAll(/^\| `(\w+)` \|/gm)].map((m) => m[1]!).sort();
}

describe('the README', () => {
  const readme = read('README.md');
  const blocks = includes(readme);

  it('includes the quick start files', () => {
    expect(blocks.map((b) => b.target)).toEqual(expect.arrayContaining(['examples/quickstart/vite.config.ts', 'examples/quickstart/src/main.ts#quickstart']));
  });

  it.each(blocks.map((b) => [b.target, b.block] as const))('shows %s as it is', (target, block) => {
    const [file, name] = target.split('#') as [string, string | undefined];
    const text = read(file);
    expect(block).toBe(name === undefined ? text : region(text, name));
  });
});

describe('docs/configuration.md', () => {
  const doc = read('docs/configuration.md');

  it('lists every createRuntime option', () => {
    expect(tableKeys(doc, '`createRuntime(options)`')).toEqual(interfaceKeys(read('src/runtime/config.ts'), 'RuntimeConfig'));
  });

  it('lists every option of the Vite plugin', () => {
    expect(tableKeys(doc, '`baton({ … })`')).toEqual(interfaceKeys(read('src/vite/options.ts'), 'BatonPluginOptions'));
  });

  it('lists every installBaton option', () => {
    expect(tableKeys(doc, '`installBaton(options)`')).toEqual(interfaceKeys(read('sw/index.ts'), 'InstallBatonOptions'));
  });
});
