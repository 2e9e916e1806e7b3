/**
 * The claims of assertions.ts as Playwright `expect` matchers: the one form the kit offers. In a
 * Playwright test a matcher is what a user reaches for, and it already gives what the other
 * forms would: a failure with the claim's own message, `.not`, `expect.soft`, and a line in the
 * report. A verdict object (`check*`) or a thrower beside it would be the same claim three times
 * over, three names to keep in step; the verdicts stay the matchers' pure implementation,
 * unit-tested in assertions.test.ts. `expect` from `baton-ml/testing` already has the matchers;
 * `batonMatchers` is for a project that extends its own `expect`.
 *
 * @example
 * const records = await stopLoad(page);
 * expect(records).toHaveNoFailedRequests();
 * expect(records).toSwitchOnce('1', '2');
 * expect(records).toRollBackWithin(50, { from: '2', to: '1' });
 */
import { expect as base, type ExpectMatcherState, type MatcherReturnType } from '@playwright/test';
import { checkNoFailedRequests, checkRolledBackWithin, checkSwitchedOnce, type RequestOutcome, type TimeWindow, type Verdict } from './assertions.js';

function result(state: ExpectMatcherState, name: string, args: string, verdict: Verdict): MatcherReturnType {
  const hint = state.utils.matcherHint(name, 'records', args, { isNot: state.isNot });
  return { pass: verdict.pass, name, message: () => `${hint}\n\n${verdict.message}` };
}

export const batonMatchers = {
  /** No request in `window` (default: all) failed, and there was at least one. */
  toHaveNoFailedRequests(this: ExpectMatcherState, records: readonly RequestOutcome[], window?: TimeWindow): MatcherReturnType {
    return result(this, 'toHaveNoFailedRequests', window ? JSON.stringify(window) : '', checkNoFailedRequests(records, window));
  },
  /** Successful requests were served by `from`, then by `to`, switching exactly once. */
  toSwitchOnce(this: ExpectMatcherState, records: readonly RequestOutcome[], from: string, to: string): MatcherReturnType {
    return result(this, 'toSwitchOnce', `${from}, ${to}`, checkSwitchedOnce(records, from, to));
  },
  /** The device left `versions.from` for `versions.to` within `maxRequests` requests and never went back. */
  toRollBackWithin(
    this: ExpectMatcherState,
    records: readonly RequestOutcome[],
    maxRequests: number,
    versions: { readonly from: string; readonly to: string },
  ): MatcherReturnType {
    return result(this, 'toRollBackWithin', `${maxRequests}, ${JSON.stringify(versions)}`, checkRolledBackWithin(records, maxRequests, versions));
  },
};

/** Playwright's `expect` with {@link batonMatchers}. */
export const expect = base.extend(batonMatchers);
