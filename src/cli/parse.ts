/** Flags → values for one command, against its option table in commands.ts; mistakes are UsageErrors. */
import { parseArgs } from 'node:util';
import { readPrivateKey } from '../publish/keys-fs.js';
import type { PrivateKeyJson } from '../types.js';
import { parseDuration, UsageError } from './args.js';
import type { CommandSpec } from './commands.js';

export interface Parsed {
  readonly positionals: readonly string[];
  readonly json: boolean;
  readonly dryRun: boolean;
  /** A boolean flag: `flag('force')`. */
  flag(name: string): boolean;
  str(name: string): string | undefined;
  /** A string flag that must be given and not empty. */
  required(name: string): string;
  /** A repeatable flag's values, in order. */
  list(name: string): string[];
}

export function parseCommand(spec: CommandSpec, args: readonly string[]): Parsed {
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options: spec.options, allowPositionals: spec.positionals > 0, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (parsed.positionals.length > spec.positionals) throw new UsageError(`unexpected argument "${parsed.positionals[spec.positionals]}"`);
  const values = parsed.values as Record<string, string | string[] | boolean | undefined>;
  const str = (name: string): string | undefined => values[name] as string | undefined;
  return {
    positionals: parsed.positionals,
    json: values['json'] === true,
    dryRun: values['dry-run'] === true,
    flag: (name) => values[name] === true,
    str,
    required(name) {
      const v = str(name);
      if (v === undefined || v === '') throw new UsageError(`--${name} is required`);
      return v;
    },
    list: (name) => (values[name] as string[] | undefined) ?? [],
  };
}

/** `--help` or `-h` anywhere: the user asked for help, even if the rest of the line is wrong. */
export function wantsHelp(args: readonly string[]): boolean {
  return args.includes('--help') || args.includes('-h');
}

/** The `--key` paths, checked to be present; read only after every flag has been parsed. */
export function keyPaths(p: Parsed): string[] {
  const paths = p.list('key');
  if (paths.length === 0) throw new UsageError('--key <private.json> is required');
  return paths;
}

export function readKeys(paths: readonly string[]): Promise<PrivateKeyJson[]> {
  return Promise.all(paths.map(readPrivateKey));
}

export function expiresOption(p: Parsed): { expiresInMs?: number } {
  const text = p.str('expires');
  return text === undefined ? {} : { expiresInMs: parseDuration('expires', text) };
}
