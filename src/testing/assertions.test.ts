/** The update claims hold on records that bear them out and fail, saying why, on records that do not. */
import { describe, expect, it } from 'vitest';
import { expect as pwExpect } from './matchers.js';
import { checkNoFailedRequests, checkRolledBackWithin, checkSwitchedOnce, type RequestOutcome } from './assertions.js';

/** Records from a compact script: '1' served by v1, '2' by v2, 'x' failed (code run-failed), 10 ms apart. */
function records(script: string, start = 1_000): RequestOutcome[] {
  return script
    .replace(/\s/g, '')
    .split('')
    .map((c, i) => (c === 'x' ? { i, at: start + i * 10, ok: false, code: 'run-failed' } : { i, at: start + i * 10, ok: true, version: c }));
}

describe('checkNoFailedRequests', () => {
  it('passes when every request succeeded', () => {
    expect(checkNoFailedRequests(records('1111 2222'))).toEqual({ pass: true, message: 'none of 8 requests failed' });
  });

  it('fails on a single failure and names it', () => {
    const v = checkNoFailedRequests(records('111x 2222'));
    expect(v.pass).toBe(false);
    expect(v.message).toBe('1 of 8 requests failed: #3 run-failed');
  });

  it('lists at most five failures and counts the rest', () => {
    expect(checkNoFailedRequests(records('xxxxxxx1')).message).toBe(
      '7 of 8 requests failed: #0 run-failed, #1 run-failed, #2 run-failed, #3 run-failed, #4 run-failed, and 2 more',
    );
  });

  it('looks only inside the window, ends included', () => {
    const rs = records('x111 2222 x'); // failures at 1000 and 1080
    expect(checkNoFailedRequests(rs, { from: 1_010, to: 1_070 }).pass).toBe(true);
    expect(checkNoFailedRequests(rs, { from: 1_010 }).pass).toBe(false);
    expect(checkNoFailedRequests(rs, { to: 1_000 }).pass).toBe(false);
  });

  it('fails on no records at all: an empty load proves nothing', () => {
    expect(checkNoFailedRequests([])).toMatchObject({ pass: false, message: expect.stringMatching(/no request in the window/) });
    expect(checkNoFailedRequests(records('1111'), { from: 5_000 }).pass).toBe(false);
  });

  it('refuses what is not a list of records', () => {
    expect(() => checkNoFailedRequests([{ ok: true } as unknown as RequestOutcome])).toThrow(TypeError);
    expect(() => checkNoFailedRequests('nope' as unknown as RequestOutcome[])).toThrow(TypeError);
  });
});

describe('checkSwitchedOnce', () => {
  it('passes on A then B with one switch', () => {
    expect(checkSwitchedOnce(records('1111 2222'), '1', '2')).toEqual({ pass: true, message: 'served 1 then 2, switching once at #4' });
  });

  it('ignores failed requests: they carry no version', () => {
    expect(checkSwitchedOnce(records('11x1 x222'), '1', '2').pass).toBe(true);
  });

  it('fails on a flip back and forth', () => {
    const v = checkSwitchedOnce(records('1122 1122'), '1', '2');
    expect(v.pass).toBe(false);
    expect(v.message).toBe('served 1 → 2 → 1 → 2: expected 1 → 2 exactly once (1 from #0 (2), 2 from #2 (2), 1 from #4 (2), 2 from #6 (2))');
  });

  it('fails when no switch happened, when it went the other way, or through another version', () => {
    expect(checkSwitchedOnce(records('1111'), '1', '2')).toMatchObject({ pass: false, message: expect.stringMatching(/^served 1: expected 1 → 2/) });
    expect(checkSwitchedOnce(records('2211'), '1', '2').pass).toBe(false);
    expect(checkSwitchedOnce(records('1132'), '1', '2').message).toMatch(/^served 1 → 3 → 2/);
    expect(checkSwitchedOnce(records('2222'), '1', '2').pass).toBe(false);
  });

  it('fails when nothing was served', () => {
    expect(checkSwitchedOnce(records('xxx'), '1', '2')).toMatchObject({ pass: false, message: expect.stringMatching(/no request was served/) });
    expect(checkSwitchedOnce([], '1', '2').pass).toBe(false);
  });

  it('orders records by time, not by array position', () => {
    const rs = records('1111 2222').reverse();
    expect(checkSwitchedOnce(rs, '1', '2').pass).toBe(true);
  });

  it('refuses a switch from a version to itself', () => {
    expect(() => checkSwitchedOnce(records('11'), '1', '1')).toThrow(TypeError);
  });
});

describe('checkRolledBackWithin', () => {
  it('passes when the bad version served fewer requests than the limit, failures included', () => {
    const v = checkRolledBackWithin(records('1111 2x2x 1111'), 5, { from: '2', to: '1' });
    expect(v).toMatchObject({ pass: true, onBadVersion: 4, rolledBackAt: 1_080 });
    expect(v.message).toBe('rolled back from 2 to 1 after 4 requests (2 failed) from #4 to #7 (limit 5)');
  });

  it('counts a failure before the bad version first answered as the bad version’s', () => {
    expect(checkRolledBackWithin(records('11 xx2x 11'), 4, { from: '2', to: '1' })).toMatchObject({ pass: true, onBadVersion: 4 });
    expect(checkRolledBackWithin(records('11 xx2x 11'), 3, { from: '2', to: '1' }).pass).toBe(false);
  });

  it('fails when the rollback took more requests than allowed', () => {
    const v = checkRolledBackWithin(records('11 2222222 11'), 5, { from: '2', to: '1' });
    expect(v).toMatchObject({ pass: false, onBadVersion: 7 });
    expect(v.message).toBe('rolled back from 2 to 1 only after 7 requests (0 failed) from #2 to #8; the limit is 5');
  });

  it('fails when the device never left the bad version', () => {
    expect(checkRolledBackWithin(records('11 2x22'), 50, { from: '2', to: '1' })).toMatchObject({
      pass: false,
      message: expect.stringMatching(/still on 2 .*no rollback to 1/),
    });
    expect(checkRolledBackWithin(records('11 22 xx'), 50, { from: '2', to: '1' }).pass).toBe(false);
  });

  it('fails when the bad version never served, or served again after the rollback', () => {
    expect(checkRolledBackWithin(records('1111'), 50, { from: '2', to: '1' })).toMatchObject({ pass: false, message: expect.stringMatching(/2 never served/) });
    // 2 → 1 → 2 → 1: the last rollback is the one measured, from the first 2.
    expect(checkRolledBackWithin(records('1 22 1 22 1'), 3, { from: '2', to: '1' })).toMatchObject({ pass: false, onBadVersion: 5 });
  });

  it('fails when the device left the bad version for a third one', () => {
    expect(checkRolledBackWithin(records('1 22 3'), 50, { from: '2', to: '1' }).message).toMatch(/left 2 for 3 at #3, not for 1/);
  });

  it('refuses a limit that is not a positive integer', () => {
    expect(() => checkRolledBackWithin(records('12'), 0, { from: '2', to: '1' })).toThrow(RangeError);
    expect(() => checkRolledBackWithin(records('12'), 1.5, { from: '2', to: '1' })).toThrow(RangeError);
  });
});

describe('records with a fallback (the version on trial failed, the kept one answered)', () => {
  /** '1' and '2' served, 'f' failed by 2 and answered by 1. */
  const withFallback = (script: string): RequestOutcome[] =>
    script
      .split('')
      .map((c, i) =>
        c === 'f'
          ? { i, at: 1_000 + i * 10, ok: true, version: '1', fallback: { from: '2', code: 'run-failed' } }
          : { i, at: 1_000 + i * 10, ok: true, version: c },
      );

  it('are no failed requests, and count as the trial version’s for the switch', () => {
    expect(checkNoFailedRequests(withFallback('11f2f22')).pass).toBe(true);
    expect(checkSwitchedOnce(withFallback('112f2f22'), '1', '2')).toMatchObject({ pass: true, message: 'served 1 then 2, switching once at #2' });
  });

  it('count on the bad version in a rollback, and say so', () => {
    const verdict = checkRolledBackWithin(withFallback('112f2f2111'), 5, { from: '2', to: '1' });
    expect(verdict).toMatchObject({
      pass: true,
      onBadVersion: 5,
      message: 'rolled back from 2 to 1 after 5 requests (0 failed, 2 answered by the kept version) from #2 to #6 (limit 5)',
    });
    expect(checkRolledBackWithin(withFallback('112f2f2111'), 4, { from: '2', to: '1' }).pass).toBe(false);
  });
});

describe('Playwright matchers', () => {
  it('pass and fail with the claim’s message, and honour .not', () => {
    pwExpect(records('1122')).toHaveNoFailedRequests();
    pwExpect(records('1122')).toSwitchOnce('1', '2');
    pwExpect(records('1221')).toRollBackWithin(2, { from: '2', to: '1' });
    pwExpect(records('1x22')).not.toHaveNoFailedRequests();
    pwExpect(records('1212')).not.toSwitchOnce('1', '2');

    expect(() => pwExpect(records('1x22')).toHaveNoFailedRequests()).toThrow(/1 of 4 requests failed: #1 run-failed/);
    expect(() => pwExpect(records('1212')).toSwitchOnce('1', '2')).toThrow(/served 1 → 2 → 1 → 2/);
    expect(() => pwExpect(records('1222')).toRollBackWithin(2, { from: '2', to: '1' })).toThrow(/still on 2/);
    expect(() => pwExpect(records('1122')).not.toSwitchOnce('1', '2')).toThrow(/switching once at #2/);
    expect(() => pwExpect(records('1122')).toHaveNoFailedRequests({ from: 9_999 })).toThrow(/no request in the window/);
  });
});
