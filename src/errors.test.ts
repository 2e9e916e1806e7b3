import { describe, expect, it } from 'vitest';
import { BatonError, ERROR_CODES, isBatonError } from './errors.js';

describe('BatonError', () => {
  it('has one table of codes, each described', () => {
    // Known answer: renaming or dropping one breaks apps that branch on it.
    expect(Object.keys(ERROR_CODES)).toEqual(
      expect.arrayContaining([
        'manifest-invalid',
        'signature-invalid',
        'unknown-key',
        'manifest-expired',
        'manifest-rollback',
        'hash-mismatch',
        'size-mismatch',
        'timeout',
        'too-slow',
        'quota-exceeded',
        'incompatible-model',
        'unhealthy',
        'run-failed',
        'input-too-large',
        'worker-crashed',
        'disposed',
        'internal',
      ]),
    );
    for (const [code, text] of Object.entries(ERROR_CODES)) expect(text.length, code).toBeGreaterThan(20);
  });

  it('crosses a boundary as a wire object and comes back the same, a code it does not know refused', () => {
    const e = new BatonError('hash-mismatch', 'chunk x', { url: 'u' });
    const back = BatonError.fromWire(structuredClone(e.toWire()));
    expect(back).toBeInstanceOf(BatonError);
    expect(back).toMatchObject({ code: 'hash-mismatch', message: 'chunk x', details: { url: 'u' } });
    expect(BatonError.isWire({ name: 'BatonError', code: 'no-such-code', message: 'm' })).toBe(false);
    expect(BatonError.isWire({ name: 'BatonError', code: 'toString', message: 'm' })).toBe(false);
  });

  it('from(): keeps a BatonError, rebuilds a wire one, wraps anything else with the fallback code and the cause', () => {
    const typed = new BatonError('timeout', 't');
    expect(BatonError.from(typed, 'storage-failed')).toBe(typed);
    expect(BatonError.from(typed.toWire())).toMatchObject({ code: 'timeout', message: 't' });
    const bug = new TypeError("Cannot read properties of undefined (reading 'x')");
    const wrapped = BatonError.from(bug, 'storage-failed', 'reading the model');
    expect(wrapped).toMatchObject({
      code: 'storage-failed',
      message: "reading the model: Cannot read properties of undefined (reading 'x')",
      details: { name: 'TypeError' },
    });
    expect(wrapped.cause).toBe(bug);
    expect(BatonError.from('a string was thrown')).toMatchObject({ code: 'internal', message: 'a string was thrown' });
    expect(isBatonError(wrapped, 'storage-failed')).toBe(true);
  });
});
