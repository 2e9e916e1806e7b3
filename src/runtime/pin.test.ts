import { describe, expect, it } from 'vitest';
import type { Manifest, Release } from '../types.js';
import { checkPinnable } from './pin.js';

const versions = [
  { version: '1', state: 'ready' as const, release: {} as Release },
  { version: '2', state: 'downloading' as const, release: {} as Release },
  { version: '3', state: 'ready' as const, release: {} as Release },
];
const manifest = { policy: { killed: ['3'] } } as unknown as Manifest;

describe('checkPinnable', () => {
  it('allows a ready version, refuses one that is not ready here or is killed', () => {
    expect(() => checkPinnable({ versions, manifest }, '1')).not.toThrow();
    expect(() => checkPinnable({ versions, manifest }, '2')).toThrow(expect.objectContaining({ code: 'version-unavailable' }));
    expect(() => checkPinnable({ versions, manifest }, '9')).toThrow(/not ready on this device/);
    expect(() => checkPinnable({ versions, manifest }, '3')).toThrow(
      expect.objectContaining({ code: 'version-unavailable', details: { version: '3', killed: true } }),
    );
  });
});
