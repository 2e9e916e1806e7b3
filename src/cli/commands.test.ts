/** The help and the option tables must agree: a flag in the help is accepted, an accepted flag is in the help. */
import { describe, expect, it } from 'vitest';
import { commandHelp, COMMANDS, usage, type CommandName } from './commands.js';
import { baton } from './test-helpers.js';

const NAMES = Object.keys(COMMANDS) as CommandName[];
const flagsIn = (text: string) => new Set([...text.matchAll(/(?<![\w-])--([a-z][a-z0-9-]*)/g)].map((m) => m[1]!));

describe.each(NAMES)('baton %s', (name) => {
  const accepted = new Set(Object.keys(COMMANDS[name].options));

  it('accepts every flag its help names, and its help names every flag it accepts', () => {
    const named = flagsIn(commandHelp(name));
    expect(
      [...named].filter((f) => !accepted.has(f)),
      'named in the help but refused',
    ).toEqual([]);
    expect(
      [...accepted].filter((f) => !named.has(f)),
      'accepted but not in the help',
    ).toEqual([]);
  });

  it('lists --json in its help, and in its lines of `baton help`', () => {
    expect(accepted.has('json')).toBe(true);
    const block = usage()
      .split('\n\n')[1]!
      .split(/\n(?=  \S)/)
      .find((b) => b.startsWith(`  ${name} `))!;
    expect(block).toContain('--json');
    expect(commandHelp(name)).toContain('--json');
  });

  it('prints just its own usage for --help and -h, exit 0', async () => {
    for (const flag of ['--help', '-h']) {
      const r = await baton(0, name, flag);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(commandHelp(name));
      expect(r.stdout.startsWith(`Usage: baton ${name}`)).toBe(true);
    }
    expect((await baton(0, 'help', name)).stdout).toBe(commandHelp(name));
  });
});

describe('--dry-run', () => {
  it('is accepted by every command that writes, and only by those', () => {
    const writing = NAMES.filter((n) => 'dry-run' in COMMANDS[n].options).sort();
    expect(writing).toEqual(['ab', 'health', 'keygen', 'kill', 'pin', 'promote', 'publish', 'resign', 'rollback', 'rollout', 'unpin']);
  });
});

describe('baton help', () => {
  it('prints every command, exit 0; no command at all prints it with exit 2', async () => {
    const r = await baton(0, 'help');
    expect(r.code).toBe(0);
    for (const name of NAMES) expect(r.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
    expect(await baton(0)).toMatchObject({ code: 2, stdout: r.stdout });
  });

  it('a usage mistake prints the command’s own usage, not every command’s', async () => {
    const r = await baton(0, 'kill', '--registry', 'r', '--name', 'm', '--key', 'k', '--percent', '5');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^baton kill: Unknown option '--percent'/);
    expect(r.stderr).toContain('Usage: baton kill <version>');
    expect(r.stderr).not.toContain('Usage: baton <command>');
  });
});
