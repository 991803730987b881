/**
 * streamTo (`--stdout`) onto a device that is not a terminal (`> /dev/null`) writes to its
 * descriptor from the reused chunk buffers, as onto a regular file, rather than handing the
 * stream a copy of every chunk (1 GiB to /dev/null took 13.6 s and 3.6 s of CPU that way, 2.7 s
 * and 0.9 s direct, on the shared 2-core VM).
 */
import { closeSync, openSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MemorySource } from '../../src/io/memory-source.js';
import { streamTo, type ByteStream } from '../../src/restore/export.js';

describe('streamTo onto /dev/null', () => {
  it('writes through the descriptor, never through the stream', async () => {
    const fd = openSync('/dev/null', 'w');
    let streamed = 0;
    const stream: ByteStream & { fd: number } = { fd, write: (chunk) => ((streamed += chunk.length), true) };
    try {
      await streamTo(new MemorySource(new Uint8Array(9 * 1024 * 1024).fill(7)), stream);
    } finally {
      closeSync(fd);
    }
    expect(streamed).toBe(0);
  });

  it('a stream without a descriptor still gets every byte', async () => {
    let streamed = 0;
    await streamTo(new MemorySource(new Uint8Array(5 * 1024 * 1024 + 3)), { write: (chunk) => ((streamed += chunk.length), true) });
    expect(streamed).toBe(5 * 1024 * 1024 + 3);
  });
});
