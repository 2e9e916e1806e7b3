import { describe, expect, it } from 'vitest';
import { BatonError } from '../errors.js';
import { createDeadline } from './deadline.js';
import { guardRequest, type RequestLimits } from './guard.js';
import { manualTimers } from './manual-timers.js';

const LIMITS: RequestLimits = { deadlineMs: 60_000, stallTimeoutMs: 5_000, minBytesPerSecond: 100, windowMs: 4_000, graceMs: 2_000 };
const verdict = (signal: AbortSignal) => (signal.aborted ? (signal.reason as BatonError) : undefined);

describe('guardRequest', () => {
  it('judges throughput only after the grace period, over the window clipped to the body’s age', async () => {
    const timers = manualTimers();
    const guard = guardRequest(LIMITS, { what: 'x', url: 'u', timers });
    guard.headers();
    guard.bytes(150); // 150 B in the first 2 s: 75 B/s over the 2 s the body has existed
    await timers.advance(1_999);
    expect(verdict(guard.signal)).toBeUndefined();
    await timers.advance(1);
    expect(verdict(guard.signal)).toMatchObject({ code: 'too-slow', details: { bytesPerSecond: 75, minBytesPerSecond: 100, windowMs: 4_000 } });
    expect(timers.pending()).toBe(0);
  });

  it('slides the window: a burst keeps a body alive for one window, not forever', async () => {
    const timers = manualTimers();
    const guard = guardRequest(LIMITS, { what: 'x', url: 'u', timers });
    guard.headers();
    guard.bytes(10_000);
    for (let t = 0; t < 4_400; t += 800) {
      await timers.advance(800);
      guard.bytes(1); // keeps the stall timer quiet
    }
    expect(verdict(guard.signal)?.code).toBe('too-slow');
    guard.dispose();
  });

  it('the stall timer runs from the start and is re-armed by headers and bytes (details.stallMs)', async () => {
    const timers = manualTimers();
    const guard = guardRequest({ ...LIMITS, minBytesPerSecond: 0 }, { what: 'x', url: 'u', timers });
    await timers.advance(4_000);
    guard.headers();
    await timers.advance(4_000);
    guard.bytes(1);
    await timers.advance(4_999);
    expect(verdict(guard.signal)).toBeUndefined();
    await timers.advance(1);
    expect(verdict(guard.signal)).toMatchObject({ code: 'timeout', details: { stallMs: 5_000, bytes: 1, url: 'u' } });
  });

  it('does not judge throughput on a timer that fired late (a frozen context), but on the next one', async () => {
    let now = 0;
    const fns: (() => void)[] = [];
    const timers = { now: () => now, setTimeout: (fn: () => void) => fns.push(fn), clearTimeout: () => {} };
    const guard = guardRequest({ ...LIMITS, stallTimeoutMs: 1e9 }, { what: 'x', url: 'u', timers });
    guard.headers();
    const graceTimer = fns.at(-1)!;
    now = 60_000; // the grace timer fires an hour late: bytes may be waiting unread
    guard.bytes(1);
    graceTimer();
    expect(verdict(guard.signal)).toBeUndefined();
    const nextTick = fns.at(-1)!;
    now = 60_800; // the next tick, on time: 1 byte in the window
    nextTick();
    expect(verdict(guard.signal)?.code).toBe('too-slow');
  });

  it('fail(): the verdict over the error the abort caused; the caller’s reason; network-error for the rest', async () => {
    const timers = manualTimers();
    const guard = guardRequest({ ...LIMITS, deadlineMs: 1_000 }, { what: 'chunk c', url: 'u', timers });
    await timers.advance(1_000);
    expect(() => guard.fail(new DOMException('aborted', 'AbortError'))).toThrow(
      expect.objectContaining({ code: 'timeout', details: expect.objectContaining({ deadline: 1_000 }) }),
    );
    const mine = new BatonError('size-mismatch', 'short');
    expect(() => guard.fail(mine)).toThrow(mine);

    const caller = new AbortController();
    const other = guardRequest(LIMITS, { what: 'x', url: 'u', timers, signal: caller.signal });
    caller.abort('the check is over');
    expect(other.signal.reason).toBe('the check is over');
    expect(() => other.fail(new TypeError('aborted'))).toThrow('the check is over');
    expect(timers.pending()).toBe(0);

    const plain = guardRequest(LIMITS, { what: 'x', url: 'u', timers });
    expect(() => plain.fail(new TypeError('Failed to fetch'))).toThrow(expect.objectContaining({ code: 'network-error' }));
    plain.dispose();
    expect(timers.pending()).toBe(0);
  });

  it('an already aborted caller signal aborts the request before it starts, with no timer set', () => {
    const timers = manualTimers();
    const guard = guardRequest(LIMITS, { what: 'x', url: 'u', timers, signal: AbortSignal.abort('late') });
    expect(guard.signal.reason).toBe('late');
    expect(timers.pending()).toBe(0);
  });
});

describe('createDeadline', () => {
  it('aborts at the deadline with the reason for the allowance so far, which extend() pushes back', async () => {
    const timers = manualTimers();
    const deadline = createDeadline(1_000, timers, (ms) => new BatonError('timeout', `${ms}`, { deadline: ms }));
    await timers.advance(600);
    deadline.extend(500);
    await timers.advance(899);
    expect(deadline.signal.aborted).toBe(false);
    await timers.advance(1);
    expect(deadline.signal.reason).toMatchObject({ code: 'timeout', details: { deadline: 1_500 } });
    deadline.extend(1_000); // too late: no effect
    expect(timers.pending()).toBe(0);
  });

  it('abort() and clear() stop the timer', async () => {
    const timers = manualTimers();
    const a = createDeadline(1_000, timers, () => 'late');
    a.abort('superseded');
    expect(a.signal.reason).toBe('superseded');
    const b = createDeadline(1_000, timers, () => 'late');
    b.clear();
    await timers.advance(2_000);
    expect(b.signal.aborted).toBe(false);
    expect(timers.pending()).toBe(0);
  });
});
