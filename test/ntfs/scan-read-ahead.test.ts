/**
 * The MFT scan reads the next chunk while it parses one (scan.ts): one chunk ahead, never more, and
 * a failed read-ahead is the scan's error in its turn, not an unhandled rejection.
 */
import { describe, expect, it } from 'vitest';
import { GrtError } from '../../src/errors.js';
import { MemorySource } from '../../src/io/memory-source.js';
import type { Mft } from '../../src/fs/ntfs/mft.js';
import { scanRecords } from '../../src/fs/ntfs/scan.js';
import { buildRecord } from '../builders/ntfs/record.js';

const RECORD_BYTES = 1024;
/** scan.ts SCAN_CHUNK_BYTES / RECORD_BYTES. */
const RECORDS_PER_CHUNK = 4096;

interface PendingRead {
  first: number;
  settle(error?: Error): void;
}

/** Record number of the one record in use (the rest are never-used zeros, skipped unparsed). */
const USED_RECORD = 40;

/** An MFT whose reads the test settles by hand. */
function manualMft(chunks: number): { mft: Mft; reads: PendingRead[] } {
  const reads: PendingRead[] = [];
  const mft = {
    boot: { recordSize: RECORD_BYTES, clusterSize: 4096, clusterCount: 1 << 20 },
    recordOffset: (n: number) => n * RECORD_BYTES,
    recordCount: chunks * RECORDS_PER_CHUNK,
    readRecordsInto: (first: number, target: Uint8Array) =>
      new Promise<void>((resolve, reject) => {
        expect(target.length).toBe(RECORDS_PER_CHUNK * RECORD_BYTES);
        const settle = (error?: Error): void => {
          if (error) return reject(error);
          if (first === 0) target.set(buildRecord({ recordSize: RECORD_BYTES, recordNumber: USED_RECORD, sequence: 1, flags: 1, linkCount: 1, attributes: [] }), USED_RECORD * RECORD_BYTES);
          resolve();
        };
        reads.push({ first, settle });
      }),
  } as unknown as Mft;
  return { mft, reads };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('MFT scan read-ahead', () => {
  it('reads one chunk ahead of the one parsed, never more, and in order', async () => {
    const { mft, reads } = manualMft(3);
    const readsWhenParsed: number[] = [];
    const done = scanRecords(mft, new MemorySource(new Uint8Array(0)), {}, [], ({ record }) => {
      if (record === USED_RECORD) readsWhenParsed.push(reads.length);
    });
    await turn();
    expect(reads.map((r) => r.first)).toEqual([0]);
    reads[0]!.settle();
    await turn();
    // Chunk 1 was asked for before chunk 0 was parsed, and nothing further while 1 is out.
    expect(readsWhenParsed).toEqual([2]);
    expect(reads.map((r) => r.first)).toEqual([0, RECORDS_PER_CHUNK]);
    reads[1]!.settle();
    await turn();
    expect(reads.map((r) => r.first)).toEqual([0, RECORDS_PER_CHUNK, 2 * RECORDS_PER_CHUNK]);
    reads[2]!.settle();
    await done;
    expect(reads).toHaveLength(3);
  });

  it('a failed read-ahead is the scan’s error', async () => {
    const { mft, reads } = manualMft(3);
    const done = scanRecords(mft, new MemorySource(new Uint8Array(0)), {}, [], () => undefined);
    await turn();
    reads[0]!.settle();
    await turn();
    reads[1]!.settle(new GrtError('MISSING_DATA', 'extent file gone'));
    await expect(done).rejects.toMatchObject({ code: 'MISSING_DATA' });
    expect(reads).toHaveLength(2);
  });
});
