import { afterEach, describe, expect, it, vi } from 'vitest';
import { pageAlignedBuffer } from '../../src/io/aligned-buffer.js';

const wasm = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number }) => unknown } }).WebAssembly;

describe('pageAlignedBuffer', () => {
  afterEach(() => vi.restoreAllMocks());

  it('gives zeroed, independent buffers of exactly the size asked', () => {
    for (const bytes of [1, 4096, 65_536, 65_537, 1024 * 1024 + 3]) {
      const a = pageAlignedBuffer(bytes);
      const b = pageAlignedBuffer(bytes);
      expect(a.length).toBe(bytes);
      expect(a.every((x) => x === 0)).toBe(true);
      a.fill(0xab);
      expect(b.every((x) => x === 0)).toBe(true);
      expect(a[bytes - 1]).toBe(0xab);
    }
  });

  it('is backed by WebAssembly memory (mapped on a page boundary) where it can be', () => {
    const memory = vi.spyOn(wasm, 'Memory');
    const buffer = pageAlignedBuffer(100_000);
    expect(memory).toHaveBeenCalledWith({ initial: 2 });
    expect(buffer.byteOffset).toBe(0);
  });

  it('gives shared memory when asked, and unshared memory where shared memory cannot be had', () => {
    const shared = pageAlignedBuffer(100_000, { shared: true });
    expect(shared.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(shared.byteOffset).toBe(0);
    const memory = vi.spyOn(wasm, 'Memory').mockImplementationOnce(() => {
      throw new TypeError('shared memory is not supported');
    });
    const unshared = pageAlignedBuffer(100_000, { shared: true });
    expect(memory).toHaveBeenLastCalledWith({ initial: 2 });
    expect(unshared.buffer).not.toBeInstanceOf(SharedArrayBuffer);
    expect(unshared.length).toBe(100_000);
  });

  it('falls back to an ordinary buffer when no memory can be mapped', () => {
    vi.spyOn(wasm, 'Memory').mockImplementation(() => {
      throw new RangeError('out of memory');
    });
    const buffer = pageAlignedBuffer(10);
    expect(buffer.length).toBe(10);
    expect(buffer.every((x) => x === 0)).toBe(true);
  });

  it('handles zero bytes', () => {
    expect(pageAlignedBuffer(0).length).toBe(0);
  });
});
