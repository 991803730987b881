/**
 * jbd2 checksum v1 (JBD2_FEATURE_COMPAT_CHECKSUM) during replay, on ext4-journal (three committed
 * transactions, debugfs jo/jw/jc) with the feature set and each commit block given the CRC-32 of
 * its transaction's descriptor and logged blocks: every transaction replays; one whose logged
 * block or commit checksum is damaged stops the replay there, with a warning.
 */
import { describe, expect, it } from 'vitest';
import { commitChecksumV1Matches, crc32Be, V1_CHECKSUM_START } from '../../src/fs/ext/jbd2/checksums.js';
import { BLOCK_TYPE, JBD2_MAGIC, JOURNAL_COMPAT } from '../../src/fs/ext/jbd2/journal-superblock.js';
import { parseDescriptor } from '../../src/fs/ext/jbd2/log-blocks.js';
import { openExt } from '../../src/fs/ext/volume.js';
import { MemorySource } from '../../src/io/memory-source.js';
import { volumeBytes } from './ext-images.js';

const IMAGE = 'ext4-journal.img.gz';
/** struct commit_header: h_chksum_type, h_chksum_size, h_chksum[0]. */
const COMMIT_TYPE = 12;
const COMMIT_SIZE = 13;
const COMMIT_SUM = 16;

interface Committed {
  sequence: number;
  /** Volume byte offsets of its descriptor and logged blocks, in log order. */
  summed: number[];
  commit: number;
}

/** The image with COMPAT_CHECKSUM set, and its committed transactions as the log holds them. */
async function v1Journal(): Promise<{ bytes: Uint8Array; transactions: Committed[]; blockSize: number }> {
  const bytes = volumeBytes(IMAGE);
  const { volume } = await openExt(new MemorySource(bytes), { replayJournal: false });
  const blockSize = volume.sb.blockSize;
  const runs = await volume.dataRuns(await volume.readInode(volume.sb.journalInode), []);
  const at = (journalBlock: number): number => {
    const run = runs.find((r) => journalBlock >= r.logicalBlock && journalBlock < r.logicalBlock + r.count)!;
    return (run.physicalBlock! + journalBlock - run.logicalBlock) * blockSize;
  };
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const superblock = at(0);
  view.setUint32(superblock + 0x24, view.getUint32(superblock + 0x24) | JOURNAL_COMPAT.checksum);
  const incompat = view.getUint32(superblock + 0x28);
  const transactions: Committed[] = [];
  let summed: number[] = [];
  for (let block = view.getUint32(superblock + 0x1c); view.getUint32(at(block)) === JBD2_MAGIC; block++) {
    const offset = at(block);
    const type = view.getUint32(offset + 4);
    if (type === BLOCK_TYPE.descriptor) {
      const tags = parseDescriptor(bytes.subarray(offset, offset + blockSize), incompat);
      summed.push(offset, ...tags.map((_, i) => at(block + 1 + i)));
      block += tags.length;
    } else if (type === BLOCK_TYPE.commit) {
      transactions.push({ sequence: view.getUint32(offset + 8), summed, commit: offset });
      summed = [];
    }
  }
  return { bytes, transactions, blockSize };
}

/** Give each commit block its v1 checksum (type 1, size 4, CRC-32 over the transaction). */
function signCommits(bytes: Uint8Array, transactions: Committed[], blockSize: number): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  for (const t of transactions) {
    const sum = t.summed.reduce((crc, offset) => crc32Be(crc, bytes.subarray(offset, offset + blockSize)), V1_CHECKSUM_START);
    bytes[t.commit + COMMIT_TYPE] = 1;
    bytes[t.commit + COMMIT_SIZE] = 4;
    view.setUint32(t.commit + COMMIT_SUM, sum);
  }
}

describe('jbd2 checksum v1', () => {
  it('crc32_be is CRC-32/MPEG-2 from ~0 (its check value)', () => {
    expect(crc32Be(V1_CHECKSUM_START, new TextEncoder().encode('123456789'))).toBe(0x0376e6e7);
  });

  it('commit blocks without a checksum (type, size and sum 0) replay as before', async () => {
    const { bytes, transactions } = await v1Journal();
    expect(transactions.map((t) => t.sequence)).toEqual([1, 2, 3]);
    expect(transactions.every((t) => commitChecksumV1Matches(bytes.subarray(t.commit, t.commit + 64), 0x12345678))).toBe(true);
    const fs = await openExt(new MemorySource(bytes));
    expect(fs.info.journalReplayed).toBe(3);
  });

  it('every transaction whose commit block holds its CRC-32 replays, without a warning', async () => {
    const { bytes, transactions, blockSize } = await v1Journal();
    signCommits(bytes, transactions, blockSize);
    const fs = await openExt(new MemorySource(bytes));
    expect(fs.info.journalReplayed).toBe(3);
    expect(fs.volume.warnings.filter((w) => w.code === 'BAD_CHECKSUM')).toEqual([]);
  });

  it('a logged block of the second transaction damaged: the first replays, the replay stops there', async () => {
    const { bytes, transactions, blockSize } = await v1Journal();
    signCommits(bytes, transactions, blockSize);
    bytes[transactions[1]!.summed[1]! + 100]! ^= 0x40;
    const fs = await openExt(new MemorySource(bytes));
    expect(fs.info.journalReplayed).toBe(1);
    expect(fs.volume.warnings.map((w) => w.message)).toContain('jbd2 transaction 2: transaction (v1) checksum does not match; it and any later transactions are not replayed');
  });

  it('a commit block of the wrong checksum type or size is a mismatch', async () => {
    const { bytes, transactions, blockSize } = await v1Journal();
    signCommits(bytes, transactions, blockSize);
    bytes[transactions[0]!.commit + COMMIT_SIZE] = 16;
    const fs = await openExt(new MemorySource(bytes));
    expect(fs.info.journalReplayed).toBe(0);
  });
});
