/**
 * The `baton` command line: picks the command, parses its flags against its option table
 * (commands.ts), runs it and turns what it throws into one line and an exit code. The work is in
 * ../publish; each command's flags and output are in their own file here.
 *
 * Exit codes, one rule — 2 means "fix the command", 1 means "the command was right, the world
 * said no":
 *   0  done (also `--help`, `help`, `--version`, and every `--dry-run` that passes its checks).
 *   2  bad usage: an unknown flag, a missing or malformed value (UsageError, printed with the
 *      command's usage), or an edit the rollout policy does not allow (PolicyError: a version
 *      already published, no candidate to promote, an invalid --name or --version).
 *   1  the operation failed or was refused: a file that is missing, unreadable or not what it
 *      should be (FileError — model, key, samples, registry, a key pair in the way of keygen), a
 *      model or manifest Baton rejects (BatonError, printed with its code, e.g. an incompatible
 *      model), `verify` finding problems, or any other error. Refusals name their override
 *      (--force, --allow-incompatible).
 * Every failure is one line on stderr (plus the usage for 2), never a stack trace.
 */
import { BatonError } from '../errors.js';
import { FileError, fsReason, isFsError } from '../publish/files.js';
import { PolicyError } from '../publish/policy-edit.js';
import { UsageError } from './args.js';
import { commandHelp, COMMANDS, isCommand, usage, type CommandName } from './commands.js';
import type { CliIo } from './io.js';
import { keygenCommand } from './keygen.js';
import { packageVersion } from './package-version.js';
import { parseCommand, wantsHelp, type Parsed } from './parse.js';
import { policyCommand } from './policy-command.js';
import { publishCommand } from './publish-command.js';
import { keysCommand, statusCommand, verifyCommand } from './read-commands.js';

export type { CliIo } from './io.js';

const RUN: Record<CommandName, (p: Parsed, io: CliIo) => Promise<number>> = {
  keygen: keygenCommand,
  publish: publishCommand,
  rollout: (p, io) => policyCommand('rollout', p, io),
  health: (p, io) => policyCommand('health', p, io),
  promote: (p, io) => policyCommand('promote', p, io),
  rollback: (p, io) => policyCommand('rollback', p, io),
  kill: (p, io) => policyCommand('kill', p, io),
  pin: (p, io) => policyCommand('pin', p, io),
  unpin: (p, io) => policyCommand('unpin', p, io),
  ab: (p, io) => policyCommand('ab', p, io),
  resign: (p, io) => policyCommand('resign', p, io),
  verify: verifyCommand,
  status: statusCommand,
  keys: keysCommand,
  version: versionCommand,
};

/** Runs one CLI invocation and returns its exit code; never calls process.exit. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [first, ...rest] = argv;
  const command = first === '--version' || first === '-v' ? 'version' : first;
  try {
    if (command === undefined) {
      io.stdout(usage());
      return 2;
    }
    if (command === 'help' || command === '--help' || command === '-h') {
      const topic = rest[0];
      if (topic !== undefined && !isCommand(topic)) throw new UsageError(`no command "${topic}"`);
      io.stdout(topic === undefined ? usage() : commandHelp(topic));
      return 0;
    }
    if (!isCommand(command)) throw new UsageError(`unknown command "${command}"`);
    if (wantsHelp(rest)) {
      io.stdout(commandHelp(command));
      return 0;
    }
    return await RUN[command](parseCommand(COMMANDS[command], rest), io);
  } catch (e) {
    return report(command, e, io);
  }
}

function report(command: string | undefined, e: unknown, io: CliIo): number {
  const prefix = `baton ${command ?? ''}:`;
  if (e instanceof UsageError) {
    io.stderr(`${prefix} ${e.message}\n\n${command !== undefined && isCommand(command) ? commandHelp(command) : usage()}`);
    return 2;
  }
  if (e instanceof PolicyError || e instanceof TypeError || e instanceof RangeError) {
    io.stderr(`${prefix} ${e.message}\n`);
    return 2;
  }
  if (e instanceof BatonError) {
    io.stderr(`${prefix} ${e.code}: ${e.message}\n`);
    return 1;
  }
  if (e instanceof FileError) {
    io.stderr(`${prefix} ${e.message}\n`);
    return 1;
  }
  // A file-system error no command anticipated (a full disk mid-write): still one line.
  if (isFsError(e)) {
    io.stderr(`${prefix} cannot ${e.syscall}${e.path === undefined ? '' : ` ${e.path}`}: ${fsReason(e)}\n`);
    return 1;
  }
  io.stderr(`${prefix} ${e instanceof Error ? e.message : String(e)}\n`);
  return 1;
}

async function versionCommand(p: Parsed, io: CliIo): Promise<number> {
  const version = await packageVersion();
  io.stdout(p.json ? JSON.stringify({ name: 'baton-ml', version }) + '\n' : `${version}\n`);
  return 0;
}
