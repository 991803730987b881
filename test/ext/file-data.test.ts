/**
 * BlockFileSource (src/fs/ext/file-data.ts): any byte range of a file mapped by block runs (holes
 * among them) reads as the bytes the runs name, through read() and through readInto() into a
 * reused (dirty) buffer alike, with replayed journal blocks patched in; copyOut hands every mapped
 * byte to the kernel but those of an escaped journal copy (patched, so read), and holes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BlockReader } from '../../src/fs/ext/block-reader.js';
import type { BlockRun } from '../../src/fs/ext/block-runs.js';
import { BlockFileSource } from '../../src/fs/ext/file-data.js';
import type { HostCopy } from '../../src/io/byte-source.js';
import { MemorySource } from '../../src/io/memory-source.js';

const BLOCK = 1024;
const VOLUME_BLOCKS = 64;

/** Volume block b holds bytes (b * 7 + i) & 0xff: every block tells where it came from. */
function volume(): Uint8Array {
  const bytes = new Uint8Array(VOLUME_BLOCKS * BLOCK);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (Math.floor(i / BLOCK) * 7 + i) & 0xff;
  return bytes;
}

/** A volume whose bytes lie in a local file (descriptor 7) as they are: copyOut hands any run over. */
class FileBackedVolume extends MemorySource {
  async copyOut(offset: number, length: number, copy: HostCopy): Promise<number> {
    return copy(7, offset, length);
  }
}

/** JBD2_MAGIC_NUMBER, big-endian: what an escaped block's first 4 bytes read as. */
const JBD2_MAGIC = [0xc0, 0x3b, 0x39, 0x98];

/**
 * `[offset, offset + length)` of `source` as a kernel-copy restore takes it: each run copyOut
 * hands over copied from `volumeBytes` (a kernel that copies at most 3 blocks a call), the bytes
 * it declines read one by one; with the bytes copied.
 */
async function copiedOut(source: BlockFileSource, volumeBytes: Uint8Array, offset: number, length: number): Promise<{ bytes: Uint8Array; copied: number }> {
  const bytes = new Uint8Array(length);
  let copied = 0;
  for (let at = offset; at < offset + length; ) {
    const n = await source.copyOut(at, offset + length - at, (fd, fileOffset, want) => {
      expect(fd).toBe(7);
      const take = Math.min(want, 3 * BLOCK);
      bytes.set(volumeBytes.subarray(fileOffset, fileOffset + take), at - offset);
      return take;
    });
    if (n === 0) bytes.set(await source.read(at, 1), at - offset);
    copied += n;
    at += Math.max(n, 1);
  }
  return { bytes, copied };
}

const runsArb = fc.array(fc.record({ physical: fc.option(fc.integer({ min: 0, max: VOLUME_BLOCKS - 4 }), { nil: null }), count: fc.integer({ min: 1, max: 4 }) }), { minLength: 1, maxLength: 12 });

/** The runs of a file one after another, as `runsArb` describes them. */
function blockRuns(spec: { physical: number | null; count: number }[]): BlockRun[] {
  const runs: BlockRun[] = [];
  let logical = 0;
  for (const { physical, count } of spec) {
    runs.push({ logicalBlock: logical, physicalBlock: physical, count });
    logical += count;
  }
  return runs;
}

const logicalBlocks = (runs: readonly BlockRun[]): number => runs.reduce((sum, run) => sum + run.count, 0);

describe('BlockFileSource', () => {
  it('read and readInto give the mapped bytes, zeros in holes, replayed blocks from the journal (property)', async () => {
    const bytes = volume();
    await fc.assert(
      fc.asyncProperty(runsArb, fc.nat(), fc.nat(), fc.integer({ min: 0, max: VOLUME_BLOCKS - 1 }), async (spec, a, b, replayedHome) => {
        const reader = new BlockReader(new MemorySource(bytes), BLOCK, VOLUME_BLOCKS);
        reader.overlay.set(replayedHome, { journalBlockNumber: VOLUME_BLOCKS - 1, escaped: false });
        const runs = blockRuns(spec);
        const size = logicalBlocks(runs) * BLOCK - (a % BLOCK);
        const expected = new Uint8Array(size);
        for (const run of runs) {
          if (run.physicalBlock === null) continue;
          for (let i = 0; i < run.count; i++) {
            const from = run.physicalBlock + i === replayedHome ? VOLUME_BLOCKS - 1 : run.physicalBlock + i;
            const at = (run.logicalBlock + i) * BLOCK;
            expected.set(bytes.subarray(from * BLOCK, from * BLOCK + Math.min(BLOCK, size - at)), at);
          }
        }
        const source = new BlockFileSource(reader, runs, size, 'test file');
        const offset = b % size;
        const length = (a + b) % (size - offset + 1);
        expect(await source.read(offset, length)).toEqual(expected.subarray(offset, offset + length));
        const target = new Uint8Array(length).fill(0xee);
        await source.readInto(offset, target);
        expect(target).toEqual(expected.subarray(offset, offset + length));
      }),
      { numRuns: 300 },
    );
  });

  it('copyOut hands over every mapped byte but an escaped journal copy\'s; the bytes are the read\'s (property)', async () => {
    const bytes = volume();
    await fc.assert(
      fc.asyncProperty(runsArb, fc.nat(), fc.nat(), fc.uniqueArray(fc.integer({ min: 0, max: VOLUME_BLOCKS - 4 }), { minLength: 2, maxLength: 2 }), async (spec, a, b, [plainHome, escapedHome]) => {
        const reader = new BlockReader(new FileBackedVolume(bytes), BLOCK, VOLUME_BLOCKS);
        reader.overlay.set(plainHome!, { journalBlockNumber: VOLUME_BLOCKS - 1, escaped: false });
        reader.overlay.set(escapedHome!, { journalBlockNumber: VOLUME_BLOCKS - 2, escaped: true });
        const runs = blockRuns(spec);
        const size = logicalBlocks(runs) * BLOCK - (a % BLOCK);
        const source = new BlockFileSource(reader, runs, size, 'test file');
        const offset = b % size;
        const length = (a + b) % (size - offset + 1);
        const { bytes: got, copied } = await copiedOut(source, bytes, offset, length);
        expect(got).toEqual(await source.read(offset, length));
        // Every byte of a mapped block other than the escaped one went to the kernel.
        let mapped = 0;
        for (let at = offset; at < offset + length; at++) {
          const run = runs.find((r) => r.logicalBlock * BLOCK <= at && at < (r.logicalBlock + r.count) * BLOCK)!;
          if (run.physicalBlock !== null && run.physicalBlock + Math.floor(at / BLOCK) - run.logicalBlock !== escapedHome) mapped++;
        }
        expect(copied).toBe(mapped);
      }),
      { numRuns: 100 },
    );
  });

  it('an escaped journal copy reads with the jbd2 magic restored', async () => {
    const bytes = volume();
    const reader = new BlockReader(new FileBackedVolume(bytes), BLOCK, VOLUME_BLOCKS);
    reader.overlay.set(3, { journalBlockNumber: 60, escaped: true });
    const source = new BlockFileSource(reader, [{ logicalBlock: 0, physicalBlock: 2, count: 3 }], 3 * BLOCK, 'test file');
    const { bytes: got, copied } = await copiedOut(source, bytes, 0, 3 * BLOCK);
    expect([...got.subarray(BLOCK, BLOCK + 4)]).toEqual(JBD2_MAGIC);
    expect(got.subarray(BLOCK + 4, 2 * BLOCK)).toEqual(bytes.subarray(60 * BLOCK + 4, 61 * BLOCK));
    expect(copied).toBe(2 * BLOCK);
  });
});
