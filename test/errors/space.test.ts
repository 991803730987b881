/**
 * GrtError.space: a damage error's offset says which address space it counts in — the image file
 * (VMDK headers, grain tables), the virtual disk (partition tables) or the volume (NTFS).
 */
import { describe, expect, it } from 'vitest';
import { GrtError, withPath } from '../../src/errors.js';
import { parseBootSector } from '../../src/fs/ntfs/boot-sector.js';
import { parseMftRecord } from '../../src/fs/ntfs/mft-record.js';
import { MemorySource } from '../../src/io/memory-source.js';
import { parseKdmvHeader } from '../../src/vmdk/sparse-header.js';
import { openCowdExtent } from '../../src/vmdk/cowd-extent.js';
import { readGpt } from '../../src/volume/gpt.js';
import { writeCowd } from '../builders/vmdk-writer.js';
import { SparseDisk, writePartitionTable } from '../builders/partition-writer.js';

async function caught(run: () => unknown): Promise<GrtError> {
  try {
    await run();
  } catch (error) {
    if (error instanceof GrtError) return error;
    throw error;
  }
  throw new Error('no GrtError thrown');
}

describe('error offsets name their address space', () => {
  it('VMDK extent headers: file', async () => {
    const sector = new Uint8Array(512);
    sector.set([0x4b, 0x44, 0x4d, 0x56, 9]); // "KDMV", version 9
    expect(await caught(() => parseKdmvHeader(sector, 0, 'x.vmdk', []))).toMatchObject({ code: 'UNSUPPORTED', offset: 0, space: 'file' });
    const cowd = writeCowd({ capacity: 1 << 20, content: new Uint8Array(1 << 20) });
    cowd[16] = 0; // grainSize 0
    expect(await caught(() => openCowdExtent(new MemorySource(cowd), { path: 'x-delta.vmdk' }))).toMatchObject({ code: 'BAD_HEADER', offset: 16, space: 'file' });
  });

  it('partition tables: disk', async () => {
    const disk = new SparseDisk(4 << 20);
    writePartitionTable(disk, { scheme: 'gpt', sectorSize: 512, partitions: [{ index: 1, startSector: 2048, sectorCount: 2048, type: 'ebd0a0a2-b9e5-4433-87c0-68b9b7e99c7'.padEnd(36, '0'), name: 'data' }] });
    disk.write(512 + 12, new Uint8Array([10, 0, 0, 0])); // HeaderSize 10, in both headers
    disk.write(disk.size - 512 + 12, new Uint8Array([10, 0, 0, 0]));
    expect(await caught(() => readGpt(disk, 512, []))).toMatchObject({ code: 'BAD_HEADER', offset: 512, space: 'disk' });
  });

  it('NTFS structures: volume, kept by withPath', async () => {
    const boot = new Uint8Array(512);
    expect(await caught(() => parseBootSector(boot, 4096))).toMatchObject({ code: 'BAD_MAGIC', offset: 4096, space: 'volume' });
    const record = new Uint8Array(1024);
    record.set([0x46, 0x49, 0x4c, 0x45]); // "FILE", no update sequence array
    const error = await caught(() => parseMftRecord(record, 7, 65536, 1000));
    expect(error).toMatchObject({ code: 'BAD_RECORD', offset: 65536 + 4, space: 'volume' });
    expect(withPath(error, 'disk.vmdk')).toMatchObject({ offset: 65536 + 4, space: 'volume', path: 'disk.vmdk' });
  });
});
