import { describe, expect, it, vi } from 'vitest';
import { createEmitter } from './emitter.js';

type Events = { a: number; b: string };

describe('the runtime emitter', () => {
  it('calls each subscription in order; unsubscribe removes only its own', () => {
    const e = createEmitter<Events>();
    const seen: string[] = [];
    const h = (n: number) => seen.push(`h${n}`);
    const off1 = e.on('a', h);
    e.on('a', h);
    e.on('b', (s) => seen.push(s));
    e.emit('a', 1);
    off1();
    e.emit('a', 2);
    e.emit('b', 'x');
    expect(seen).toEqual(['h1', 'h1', 'h2', 'x']);
  });

  it('a throwing handler is logged and the others still run', () => {
    const e = createEmitter<Events>();
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    const seen: number[] = [];
    e.on('a', () => {
      throw new Error('app bug');
    });
    e.on('a', (n) => seen.push(n));
    expect(() => e.emit('a', 7)).not.toThrow();
    expect(seen).toEqual([7]);
    expect(error).toHaveBeenCalledWith('baton: a "a" handler threw', expect.any(Error));
    error.mockRestore();
  });

  it('a handler that unsubscribes during emit does not skip the next one; clear removes all', () => {
    const e = createEmitter<Events>();
    const seen: string[] = [];
    const off = e.on('a', () => (seen.push('first'), off()));
    e.on('a', () => seen.push('second'));
    e.emit('a', 1);
    e.emit('a', 1);
    e.clear();
    e.emit('a', 1);
    expect(seen).toEqual(['first', 'second', 'second']);
  });
});
