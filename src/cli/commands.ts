/**
 * What each `baton` command accepts (the option tables handed to `parseArgs`) and how its help
 * describes it. The help is written by hand, for people; a unit test holds the two together:
 * every flag the help names is accepted, and every accepted flag is in the help.
 */
import type { ParseArgsConfig } from 'node:util';
import { HEALTH_FLAGS } from './args.js';

export type Options = NonNullable<ParseArgsConfig['options']>;

export interface CommandSpec {
  /** Everything `parseArgs` accepts for the command, `--help` and `--json` included. */
  readonly options: Options;
  /** How many positional arguments it takes (`kill <version>`: 1). */
  readonly positionals: number;
  /** Its entry in `baton help` and the head of its own: the command line, wrapped by hand. */
  readonly synopsis: string;
  /** A line under the synopsis in `baton help`, where the command line does not say enough. */
  readonly note?: string;
  /** What it does, for `baton <command> --help`. */
  readonly about: string;
  /** One row per argument: `[how it is written, what it means]`. */
  readonly flags: readonly (readonly [string, string])[];
}

const COMMON: Options = { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } };
const WRITING: Options = { ...COMMON, 'dry-run': { type: 'boolean' } };
const REGISTRY: Options = { registry: { type: 'string' }, name: { type: 'string' } };
const SIGNING: Options = { ...WRITING, ...REGISTRY, key: { type: 'string', multiple: true }, expires: { type: 'string' } };

const SIGNING_SYNOPSIS = '--registry <dir> --name <n> --key <private.json> [--expires <30d>] [--dry-run] [--json]';
const SIGNING_FLAGS: readonly (readonly [string, string])[] = [
  ['--registry <dir>', 'the registry directory (what the CDN serves)'],
  ['--name <n>', 'the model'],
  ['--key <private.json>', 'signing key; repeat to sign with several (key rotation)'],
  ['--expires <duration>', 'validity of the new manifest, e.g. 30d (default), 12h'],
  ['--dry-run', 'check everything and print the policy that would be signed; write nothing'],
  ['--json', 'print the result as JSON'],
];
const HELP_FLAG = ['--help, -h', 'this help'] as const;

const policy = (synopsis: string, about: string, flags: readonly (readonly [string, string])[], options: Options, positionals = 0): CommandSpec => ({
  options: { ...SIGNING, ...options },
  positionals,
  synopsis: synopsis === '' ? SIGNING_SYNOPSIS : `${synopsis}\n${SIGNING_SYNOPSIS}`,
  about,
  flags: [...flags, ...SIGNING_FLAGS, HELP_FLAG],
});

export type CommandName =
  'keygen' | 'publish' | 'rollout' | 'health' | 'promote' | 'rollback' | 'kill' | 'pin' | 'unpin' | 'ab' | 'resign' | 'verify' | 'status' | 'keys' | 'version';

/** In the order `baton help` lists them. */
export const COMMANDS: Readonly<Record<CommandName, CommandSpec>> = {
  keygen: {
    options: { ...WRITING, out: { type: 'string' }, force: { type: 'boolean' } },
    positionals: 0,
    synopsis: '--out <dir> [--force] [--dry-run] [--json]',
    note: 'write an Ed25519 key pair (baton-private.json, baton-public.json); never replaces one without --force',
    about:
      'Writes a signing key pair. The app pins the public key; publish and the policy commands sign with the private one.\n' +
      'Refuses when the directory already holds a key pair: devices pinning that key would refuse manifests signed by a new one.',
    flags: [
      ['--out <dir>', 'directory for baton-private.json (secret) and baton-public.json'],
      ['--force', 'replace an existing key pair (prints the old and the new key id)'],
      ['--dry-run', 'check and print what would be written; write nothing'],
      ['--json', 'print the result as JSON'],
      HELP_FLAG,
    ],
  },
  publish: {
    options: {
      ...SIGNING,
      version: { type: 'string' },
      rollout: { type: 'string' },
      'chunk-size': { type: 'string' },
      'ort-range': { type: 'string' },
      ep: { type: 'string' },
      salt: { type: 'string' },
      shadow: { type: 'string' },
      'shadow-compare': { type: 'string' },
      'shadow-tolerance': { type: 'string' },
      profile: { type: 'string' },
      'allow-incompatible': { type: 'boolean' },
    },
    positionals: 1,
    synopsis:
      '<model.onnx> --name <n> --version <v> --registry <dir> --key <private.json>\n' +
      '[--rollout <percent>] [--chunk-size <bytes|4MiB>] [--expires <30d>]\n' +
      '[--ort-range <semver range>] [--ep wasm,webgpu] [--salt <s>]\n' +
      '[--shadow <share 0-1> [--shadow-compare max-abs-diff|argmax] [--shadow-tolerance <t>]]\n' +
      '[--profile <samples.json>] [--allow-incompatible] [--dry-run] [--json]',
    about:
      'Publishes a model version: writes the chunks the registry lacks, then signs a new manifest.\n' +
      'The first version of a model becomes stable; a later one becomes the candidate for --rollout percent of\n' +
      'devices (default 100), replacing any earlier candidate. A version whose inputs or outputs differ from\n' +
      "the stable version's is refused unless --allow-incompatible. Nothing is written unless every check passes.",
    flags: [
      ['<model.onnx>', 'the model file'],
      ['--name <n>', 'the model: lowercase letters, digits and . _ - (max 64)'],
      ['--version <v>', 'a new version id: letters, digits and . + _ - (max 64)'],
      ['--registry <dir>', 'the registry directory (what the CDN serves)'],
      ['--key <private.json>', 'signing key; repeat to sign with several (key rotation)'],
      ['--rollout <percent>', 'share of devices that adopt it (default 100; a first release is always stable)'],
      ['--chunk-size <size>', 'e.g. 4MiB (default), 512k, 1048576'],
      ['--expires <duration>', 'validity of the new manifest, e.g. 30d (default), 12h'],
      ['--ort-range <range>', "onnxruntime-web versions that can run it (default: from the model's opset)"],
      ['--ep <list>', 'execution providers it runs on: wasm, webgpu or both (default)'],
      ['--salt <s>', 'picks which devices are in the rollout (default: random)'],
      ['--shadow <share>', "run the candidate unseen on this share (0-1] of the other devices' requests"],
      ['--shadow-compare <how>', 'max-abs-diff (default) or argmax'],
      ['--shadow-tolerance <t>', 'largest difference that still agrees (default 0.001)'],
      ['--profile <samples.json>', 'record a reference profile for drift detection (runs the model on the samples)'],
      ['--allow-incompatible', "publish even though inputs or outputs differ from the stable version's"],
      ['--dry-run', 'check everything and print what would be written; write nothing'],
      ['--json', 'print the result as JSON'],
      HELP_FLAG,
    ],
  },
  rollout: policy(
    '--percent <p> | --stage <p>[@<time|+duration>][/<n>runs] … | --no-stages',
    "Changes the candidate's share of devices, or gives it a rolling schedule of stages that only grow.",
    [
      ['--percent <p>', 'share of devices on the candidate, 0-100'],
      ['--stage <spec>', '<p>[@<ISO time|+duration>][/<n>runs], e.g. 10@+1d or 50@2026-12-02T00:00:00Z/100runs; repeat'],
      ['--no-stages', 'drop the schedule (the plain percentage applies)'],
    ],
    { percent: { type: 'string' }, stage: { type: 'string', multiple: true }, 'no-stages': { type: 'boolean' } },
  ),
  health: policy(
    '[--promote-after <n>] [--min-requests <n>] [--window-requests <n>] [--window <90s>]\n[--max-error-increase <0-1>] [--max-p95-ratio <k>] [--min-shadow-agreement <0-1>] [--alpha <0-1>]',
    'Sets the health gates devices apply to a version on trial; gates not named keep their values.',
    [
      ['--promote-after <n>', 'healthy requests before a device keeps the version'],
      ['--min-requests <n>', 'outcomes of the replaced version needed for its error rate to count (else taken as 0)'],
      ['--window-requests <n>', 'requests in the sliding window'],
      ['--window <duration>', 'time span of the window, e.g. 90s'],
      ['--max-error-increase <0-1>', "largest allowed rise of the error rate over the replaced version's"],
      ['--max-p95-ratio <k>', "largest allowed run time, as a multiple of the replaced version's on the same input"],
      ['--min-shadow-agreement <0-1>', 'smallest share of shadow runs that must agree'],
      ['--alpha <0-1>', 'false-rollback rate each gate allows a healthy version (default 0.01)'],
    ],
    Object.fromEntries(HEALTH_FLAGS.map((f) => [f, { type: 'string' as const }])),
  ),
  promote: policy('', 'Makes the candidate the stable version for every device.', [], {}),
  rollback: policy('--to <version>', 'Makes a published version stable again and stops the rollout.', [['--to <version>', 'the version to go back to']], {
    to: { type: 'string' },
  }),
  kill: policy(
    '<version>',
    'Never serves a version again (the stable version cannot be killed: roll back first).',
    [['<version>', 'the version to kill']],
    {},
    1,
  ),
  pin: policy('<version>', 'Every device serves this version, whatever the rollout says.', [['<version>', 'the version to pin']], {}, 1),
  unpin: policy('', 'Ends a pin: the rollout decides again.', [], {}),
  ab: policy(
    '--arm <name>=<version>[:<weight>] --arm … [--salt <s>] | --end',
    'Starts an A/B test (each device gets one arm, sticky, by weight) or ends it.',
    [
      ['--arm <name>=<version>[:<weight>]', 'an arm (weight 1 by default); two or more'],
      ['--salt <s>', 'picks which devices get which arm (default: random)'],
      ['--end', 'end the A/B test'],
    ],
    { arm: { type: 'string', multiple: true }, salt: { type: 'string' }, end: { type: 'boolean' } },
  ),
  resign: policy(
    '',
    'Signs the current manifest again, changing nothing but its sequence, issue time and expiry. Run it on a\n' +
      'schedule with a short --expires (e.g. daily with --expires 2d): a device then tells a frozen mirror\n' +
      '(one re-serving an old manifest) from a quiet registry, and an old manifest expires on its own.',
    [],
    {},
  ),
  verify: {
    options: { ...COMMON, ...REGISTRY, pub: { type: 'string', multiple: true } },
    positionals: 0,
    synopsis: '--registry <dir> --name <n> --pub <public.json> [--json]',
    about: 'Checks the registry as a device would, and every byte a device may fetch. Exits 1 when it finds a problem.',
    flags: [
      ['--registry <dir>', 'the registry directory'],
      ['--name <n>', 'the model'],
      ['--pub <public.json>', 'a key devices pin; repeat for several'],
      ['--json', 'print the report as JSON'],
      HELP_FLAG,
    ],
  },
  status: {
    options: { ...COMMON, ...REGISTRY, pub: { type: 'string', multiple: true } },
    positionals: 0,
    synopsis: '--registry <dir> --name <n> [--pub <public.json>] [--json]',
    about: 'Shows the current manifest: policy and versions. The signature is checked only with --pub.',
    flags: [
      ['--registry <dir>', 'the registry directory'],
      ['--name <n>', 'the model'],
      ['--pub <public.json>', 'check the signature against this key; repeat for several'],
      ['--json', 'print the status as JSON'],
      HELP_FLAG,
    ],
  },
  keys: {
    options: { ...COMMON, ...REGISTRY, pub: { type: 'string', multiple: true } },
    positionals: 0,
    synopsis: '--registry <dir> --name <n> [--pub <public.json>] [--json]',
    note: 'which keys signed the current manifest, and which pinned keys it verifies with (key rotation)',
    about:
      'Lists the key ids that signed the current manifest and, for each --pub, whether its signature verifies.\n' +
      'During a key rotation every manifest is signed with the old and the new private key, until every app in use pins the new one.',
    flags: [
      ['--registry <dir>', 'the registry directory'],
      ['--name <n>', 'the model'],
      ['--pub <public.json>', 'a key an app pins; repeat for several'],
      ['--json', 'print the result as JSON'],
      HELP_FLAG,
    ],
  },
  version: {
    options: COMMON,
    positionals: 0,
    synopsis: '[--json]',
    note: "print baton's version (also: baton --version, baton -v)",
    about: 'Prints the version of the installed baton-ml package.',
    flags: [['--json', 'print it as JSON'], HELP_FLAG],
  },
};

export function isCommand(name: string): name is CommandName {
  return Object.hasOwn(COMMANDS, name);
}

/** `baton help`: every command's synopsis. */
export function usage(): string {
  const lines = ['Usage: baton <command> [options]        baton <command> --help for one command in full', ''];
  for (const [name, spec] of Object.entries(COMMANDS)) {
    spec.synopsis.split('\n').forEach((line, i) => lines.push(`  ${(i === 0 ? name : '').padEnd(8)} ${line}`.trimEnd()));
    if (spec.note) lines.push(`  ${''.padEnd(8)} ${spec.note}`);
  }
  lines.push(
    `  ${'help'.padEnd(8)} [<command>]`,
    `  ${''.padEnd(8)} this text, or one command in full (also: baton <command> --help)`,
    '',
    '  --key and --pub may be repeated (key rotation: sign with both, pin either).',
    '  Exit codes: 0 done; 1 the operation failed or was refused (a file, a model, a key, a check); 2 bad usage.',
  );
  return lines.join('\n') + '\n';
}

/** `baton <command> --help`: the command line, what it does, every flag. */
export function commandHelp(name: CommandName): string {
  const spec = COMMANDS[name];
  const width = Math.max(...spec.flags.map(([flag]) => flag.length)) + 2;
  const synopsis = spec.synopsis.split('\n');
  return (
    [
      `Usage: baton ${name} ${synopsis[0] ?? ''}`.trimEnd(),
      ...synopsis.slice(1).map((line) => `${' '.repeat(`Usage: baton ${name} `.length)}${line}`),
      '',
      spec.about,
      '',
      ...spec.flags.map(([flag, text]) => `  ${flag.padEnd(width)}${text}`),
    ].join('\n') + '\n'
  );
}
