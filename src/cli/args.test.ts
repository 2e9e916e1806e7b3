/** `baton health`'s flags as parsed, `--alpha` (the gates' false-rollback rate) in particular. */
import { describe, expect, it } from 'vitest';
import { HEALTH_FLAGS, parseHealthFlags, UsageError } from './args.js';
import { commandHelp } from './commands.js';
import { baton } from './test-helpers.js';

const parse = (flags: Record<string, string>) => parseHealthFlags((flag) => flags[flag]);

describe('parseHealthFlags', () => {
  it('sets the gates named, alpha among them, and leaves the rest out', () => {
    expect(parse({ alpha: '0.05', 'max-p95-ratio': '3' })).toEqual({ alpha: 0.05, maxP95Ratio: 3 });
    expect(parse({ 'min-requests': '20' })).toEqual({ minRequests: 20 });
  });

  it.each(['0', '1', '-0.01', '2', 'often', ''])('refuses --alpha %j with a usage error naming the flag', (text) => {
    expect(() => parse({ alpha: text })).toThrow(UsageError);
    expect(() => parse({ alpha: text })).toThrow(/--alpha/);
  });

  it('is listed with the other health flags and in the help', () => {
    expect(HEALTH_FLAGS).toContain('alpha');
    expect(commandHelp('health')).toMatch(/--alpha <0-1>\s+false-rollback rate/);
  });

  it('baton health --alpha 1: exit 2 before anything is read or signed', async () => {
    const r = await baton(0, 'health', '--alpha', '1', '--registry', '/tmp/nowhere', '--name', 'mlp', '--key', 'k');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^baton health: --alpha must be/);
  });
});
