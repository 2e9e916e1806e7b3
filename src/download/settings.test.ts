import { describe, expect, it } from 'vitest';
import { chunkLimits, checkAllowanceMs, DEFAULT_DOWNLOAD, manifestLimits, resolveDownloadSettings } from './settings.js';

describe('download settings', () => {
  it('fills what the app left out, the retry settings field by field', () => {
    const s = resolveDownloadSettings({ concurrency: 2, retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 }, minBytesPerSecond: 10 });
    expect(s).toEqual({ ...DEFAULT_DOWNLOAD, concurrency: 2, retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 }, minBytesPerSecond: 10 });
    expect(resolveDownloadSettings()).toEqual(DEFAULT_DOWNLOAD);
  });

  it('refuses a setting that would disable a deadline by accident, naming it', () => {
    expect(() => resolveDownloadSettings({ manifestDeadlineMs: 0 })).toThrow(/download\.manifestDeadlineMs/);
    expect(() => resolveDownloadSettings({ stallTimeoutMs: Number.NaN })).toThrow(RangeError);
    expect(() => resolveDownloadSettings({ minBytesPerSecond: -1 })).toThrow(/minBytesPerSecond/);
    expect(() => resolveDownloadSettings({ retry: { attempts: 0, baseDelayMs: 1, maxDelayMs: 1 } })).toThrow(/retry\.attempts/);
    const off = resolveDownloadSettings({ minBytesPerSecond: 0 }); // the rule off, on purpose
    expect(chunkLimits(off, 4096)).toMatchObject({ minBytesPerSecond: 0, deadlineMs: Infinity });
  });

  it('sizes the defaults for an honest slow link: a 4 MiB chunk at slow 3G stays far inside every limit', () => {
    const size = 4 * 2 ** 20;
    const chunk = chunkLimits(DEFAULT_DOWNLOAD, size);
    // Slow 3G (~50 KB/s) shared by 4 chunks: 12.5 KB/s each, 12× the minimum rate.
    expect(12_500 / chunk.minBytesPerSecond).toBeGreaterThan(10);
    expect(chunk.deadlineMs).toBe(30_000 + (size * 1000) / 1024);
    expect(chunk.deadlineMs).toBeGreaterThan((size / 12_500) * 1000 * 10);
    expect(manifestLimits(DEFAULT_DOWNLOAD)).toEqual({
      deadlineMs: 30_000,
      stallTimeoutMs: 15_000,
      minBytesPerSecond: 1024,
      windowMs: 10_000,
      graceMs: 10_000,
    });
    // The check: 10 min plus 256 s for 4 MiB at 16 KiB/s.
    expect(checkAllowanceMs(DEFAULT_DOWNLOAD, size)).toBe(256_000);
  });
});
