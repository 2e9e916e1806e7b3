/**
 * The policy commands (`rollout`, `health`, `promote`, `rollback`, `kill`, `pin`, `unpin`, `ab`,
 * `resign`): each is one pure edit of the manifest (policy-edit.ts), re-signed with the next sequence.
 */
import { endAb, kill, pin, promote, rollbackTo, setHealth, setRolloutPercent, setStages, startAb, unpin } from '../publish/policy-edit.js';
import { editPolicy } from '../publish/publish.js';
import type { AbArm, Manifest } from '../types.js';
import { HEALTH_FLAGS, parseHealthFlags, parsePercent, parseStage, UsageError } from './args.js';
import { describeHealth, describePolicy } from './describe.js';
import type { CliIo } from './io.js';
import { expiresOption, keyPaths, readKeys, type Parsed } from './parse.js';

export type PolicyCommand = 'rollout' | 'health' | 'promote' | 'rollback' | 'kill' | 'pin' | 'unpin' | 'ab' | 'resign';

export async function policyCommand(command: PolicyCommand, p: Parsed, io: CliIo): Promise<number> {
  // Every flag is parsed before any file is read; the edit itself must stay pure (editPolicy may run it twice).
  const edit = policyEdit(command, p, io.now?.() ?? Date.now());
  const registry = p.required('registry');
  const name = p.required('name');
  const paths = keyPaths(p);
  const expires = expiresOption(p);
  const manifest = await editPolicy(registry, name, await readKeys(paths), edit, {
    ...expires,
    ...(io.now ? { now: io.now } : {}),
    dryRun: p.dryRun,
  });
  if (p.json) {
    io.stdout(JSON.stringify({ sequence: manifest.sequence, policy: manifest.policy, dryRun: p.dryRun }) + '\n');
    return 0;
  }
  const health = command === 'health' ? `\nhealth gates: ${describeHealth(manifest.policy.health)}` : '';
  io.stdout(
    p.dryRun
      ? `dry run: ${command} would sign ${describePolicy(manifest)}; next manifest sequence ${manifest.sequence}${health}\nnothing written (--dry-run)\n`
      : `${command}: ${describePolicy(manifest)}; manifest sequence ${manifest.sequence}${health}\n`,
  );
  return 0;
}

function policyEdit(command: PolicyCommand, p: Parsed, now: number): (m: Manifest) => Manifest {
  const target = (): string => {
    const v = p.positionals[0];
    if (!v) throw new UsageError(`baton ${command} <version>: the version is required`);
    return v;
  };
  switch (command) {
    case 'rollout': {
      const stages = p.list('stage').map((text) => parseStage(text, now));
      const text = p.str('percent');
      const percent = text === undefined ? undefined : parsePercent('percent', text);
      const noStages = p.flag('no-stages');
      if (percent === undefined && stages.length === 0 && !noStages) throw new UsageError('baton rollout needs --percent, --stage or --no-stages');
      return (m) => {
        let next = percent === undefined ? m : setRolloutPercent(m, percent);
        if (stages.length > 0) next = setRolloutPercent(setStages(next, stages), stages.at(-1)!.percent);
        return noStages ? setStages(next, []) : next;
      };
    }
    case 'health': {
      const health = parseHealthFlags((flag) => p.str(flag));
      if (Object.keys(health).length === 0) throw new UsageError(`baton health needs at least one of ${HEALTH_FLAGS.map((f) => `--${f}`).join(', ')}`);
      return (m) => setHealth(m, health);
    }
    case 'promote':
      return promote;
    case 'rollback': {
      const to = p.required('to');
      return (m) => rollbackTo(m, to);
    }
    case 'kill': {
      const v = target();
      return (m) => kill(m, v);
    }
    case 'pin': {
      const v = target();
      return (m) => pin(m, v);
    }
    case 'unpin':
      return unpin;
    case 'resign':
      // Nothing changes but what signing always changes: sequence, issuedAt, expires.
      return (m) => m;
    case 'ab': {
      const end = p.flag('end');
      const arms = p.list('arm').map(parseArm);
      if (arms.length === 0 && !end) throw new UsageError('baton ab needs --arm <name>=<version>[:<weight>] (twice or more) or --end');
      if (arms.length > 0 && end) throw new UsageError('baton ab takes --arm to start a test or --end to stop one, not both');
      const salt = p.str('salt') ?? `ab:${crypto.randomUUID()}`;
      return end ? endAb : (m) => startAb(m, arms, salt);
    }
  }
}

function parseArm(text: string): AbArm {
  const m = /^([^=]+)=([^:]+)(?::(\d+(?:\.\d+)?))?$/.exec(text);
  if (!m) throw new UsageError(`--arm takes <name>=<version>[:<weight>], e.g. a=1.0.0:1; got "${text}"`);
  return { name: m[1]!, version: m[2]!, weight: m[3] === undefined ? 1 : Number(m[3]) };
}
