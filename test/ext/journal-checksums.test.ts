/**
 * jbd2 checksums v3 during replay, on ext4-journal-csum3 (debugfs `jo -c`: three committed
 * transactions, then an uncommitted one). A transaction whose descriptor, logged block, revoke or
 * commit block fails its checksum is not replayed, nor any after it, with a warning.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GrtError } from '../../src/errors.js';
import { MemorySource } from '../../src/io/memory-source.js';
import { BLOCK_TYPE, JBD2_MAGIC, JOURNAL_INCOMPAT } from '../../src/fs/ext/jbd2/journal-superblock.js';
import { blockTailMatches, tagChecksumMatches } from '../../src/fs/ext/jbd2/checksums.js';
import { parseDescriptor, TAG_FLAGS } from '../../src/fs/ext/jbd2/log-blocks.js';
import { crc32cRaw } from '../../src/util/crc32c.js';
import { openExt } from '../../src/fs/ext/volume.js';
import { volumeBytes } from './ext-images.js';

const IMAGE = 'ext4-journal-csum3.img.gz';

interface LogBlock {
  /** Volume byte offset of the journal block. */
  byteOffset: number;
  /** Header block type, or 'data' for a logged copy. */
  type: number | 'data';
  sequence: number;
}

/** The image and its log blocks from s_start, read through the journal inode's mapping. */
async function journalLayout(): Promise<{ bytes: Uint8Array; superblockOffset: number; log: LogBlock[] }> {
  const bytes = volumeBytes(IMAGE);
  const { volume } = await openExt(new MemorySource(bytes), { replayJournal: false });
  const journal = await volume.readInode(volume.sb.journalInode);
  const runs = await volume.dataRuns(journal, []);
  const blockSize = volume.sb.blockSize;
  const byteOffset = (journalBlock: number): number => {
    const run = runs.find((r) => journalBlock >= r.logicalBlock && journalBlock < r.logicalBlock + r.count)!;
    return (run.physicalBlock! + journalBlock - run.logicalBlock) * blockSize;
  };
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const superblockOffset = byteOffset(0);
  const log: LogBlock[] = [];
  let sequence = 0;
  for (let block = view.getUint32(superblockOffset + 0x1c); block < 40; block++) {
    const at = byteOffset(block);
    if (view.getUint32(at) === JBD2_MAGIC) {
      sequence = view.getUint32(at + 8);
      log.push({ byteOffset: at, type: view.getUint32(at + 4), sequence });
    } else {
      log.push({ byteOffset: at, type: 'data', sequence });
    }
  }
  return { bytes, superblockOffset, log };
}

function find(log: LogBlock[], type: LogBlock['type'], sequence: number): LogBlock {
  const found = log.find((block) => block.type === type && block.sequence === sequence);
  if (!found) throw new Error(`no block of type ${type} in transaction ${sequence}`);
  return found;
}

async function openFlipped(bytes: Uint8Array, byteOffset: number) {
  const copy = bytes.slice();
  copy[byteOffset]! ^= 0x40;
  return openExt(new MemorySource(copy));
}

const newFileText = new TextEncoder().encode('written just before the backup\n');

describe('jbd2 checksum v3 replay', () => {
  it('replays every transaction of the undamaged journal without a checksum warning', async () => {
    const { bytes } = await journalLayout();
    const fs = await openExt(new MemorySource(bytes));
    expect(fs.info.journalReplayed).toBe(3);
    expect(fs.volume.warnings.filter((w) => w.code === 'BAD_CHECKSUM')).toEqual([]);
  });

  it('a byte flipped in a logged data block of the first transaction: nothing replayed, a warning', async () => {
    const { bytes, log } = await journalLayout();
    const data = find(log, 'data', 1);
    const fs = await openFlipped(bytes, data.byteOffset + 100);
    expect(fs.info.journalReplayed).toBe(0);
    expect(fs.volume.warnings.map((w) => w.message)).toContain('jbd2 transaction 1: logged copy of block '
      + `${new DataView(bytes.buffer, bytes.byteOffset).getUint32(find(log, BLOCK_TYPE.descriptor, 1).byteOffset + 12)} checksum does not match; it and any later transactions are not replayed`);
    await expect(fs.stat('/new.txt')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await fs.stat('/tiny.txt')).size).toBe(1);
  });

  it('damage in the second transaction keeps the first one replayed and stops there', async () => {
    const { bytes, log } = await journalLayout();
    const fs = await openFlipped(bytes, find(log, 'data', 2).byteOffset + 7);
    expect(fs.info.journalReplayed).toBe(1);
    expect(fs.volume.warnings.some((w) => w.code === 'BAD_CHECKSUM' && w.message.startsWith('jbd2 transaction 2:'))).toBe(true);
    expect(await (await fs.openStream('/new.txt')).read(0, newFileText.length)).toEqual(newFileText);
  });

  it.each([
    ['descriptor', BLOCK_TYPE.descriptor, 1, 0],
    ['commit', BLOCK_TYPE.commit, 1, 0],
    ['revoke', BLOCK_TYPE.revoke, 3, 2],
  ] as const)('a byte flipped in the unused part of a %s block fails its checksum', async (name, type, sequence, replayed) => {
    const { bytes, log } = await journalLayout();
    // 2048: past every header, tag and revoke record of these small blocks, before the tail.
    const fs = await openFlipped(bytes, find(log, type, sequence).byteOffset + 2048);
    expect(fs.info.journalReplayed).toBe(replayed);
    expect(fs.volume.warnings.map((w) => w.message)).toContain(
      `jbd2 transaction ${sequence}: ${name} block checksum does not match; it and any later transactions are not replayed`,
    );
  });

  it('a journal superblock whose checksum fails is not replayed at all', async () => {
    const { bytes, superblockOffset } = await journalLayout();
    const fs = await openFlipped(bytes, superblockOffset + 0x200);
    expect(fs.info.journalReplayed).toBe(0);
    expect(fs.volume.warnings.map((w) => w.message)).toEqual([`journal not replayed: jbd2 superblock: jbd2 superblock checksum does not match at byte ${superblockOffset} of the volume`]);
  });

  it('any byte of the log flipped: a typed error or a volume with fewer transactions replayed (property)', async () => {
    const { bytes, log } = await journalLayout();
    const blockSize = 4096;
    await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: 15 * blockSize - 1 }), fc.integer({ min: 1, max: 255 }), async (at, mask) => {
      const copy = bytes.slice();
      const target = log[Math.floor(at / blockSize)]!.byteOffset + (at % blockSize);
      copy[target]! ^= mask;
      try {
        const fs = await openExt(new MemorySource(copy));
        expect(fs.info.journalReplayed).toBeLessThanOrEqual(3);
      } catch (error) {
        expect(error).toBeInstanceOf(GrtError);
      }
    }), { numRuns: 60 });
  });
});

describe('jbd2 checksum v2 tags (synthetic)', () => {
  it('reads the 16-bit tag checksum and checks it against the low half of crc32c(seed, sequence, block)', () => {
    const seed = 0x1234abcd;
    const sequence = 7;
    const data = new Uint8Array(1024).map((_, i) => (i * 31) & 0xff);
    const crc = crc32cRaw(crc32cRaw(seed, new Uint8Array([0, 0, 0, sequence])), data);
    const incompat = JOURNAL_INCOMPAT.csumV2 | JOURNAL_INCOMPAT.is64bit;
    // One v2 tag of a 64-bit journal: t_blocknr, t_checksum u16, t_flags u16, t_blocknr_high (14 bytes).
    const descriptor = new Uint8Array(1024);
    const view = new DataView(descriptor.buffer);
    view.setUint32(0, JBD2_MAGIC);
    view.setUint32(4, BLOCK_TYPE.descriptor);
    view.setUint32(8, sequence);
    view.setUint32(12, 0x89abcdef);
    view.setUint16(16, crc & 0xffff);
    view.setUint16(18, TAG_FLAGS.sameUuid | TAG_FLAGS.lastTag);
    view.setUint32(20, 2);
    const [tag] = parseDescriptor(descriptor, incompat);
    expect(tag).toEqual({ blockNumber: 2 * 0x1_0000_0000 + 0x89abcdef, escaped: false, checksum: crc & 0xffff });
    expect(tagChecksumMatches(tag!.checksum, sequence, data, seed, false)).toBe(true);
    data[5]! ^= 1;
    expect(tagChecksumMatches(tag!.checksum, sequence, data, seed, false)).toBe(false);
    // The tail covers the whole block with itself counted as zeros.
    view.setUint32(1020, crc32cRaw(crc32cRaw(seed, descriptor.subarray(0, 1020)), new Uint8Array(4)));
    expect(blockTailMatches(descriptor, seed)).toBe(true);
    descriptor[100]! ^= 1;
    expect(blockTailMatches(descriptor, seed)).toBe(false);
  });
});
