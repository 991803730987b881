import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GrtError } from '../../src/errors.js';
import { Struct } from '../../src/util/struct.js';
import { KDMV_HEADER } from '../../src/vmdk/sparse-header.js';
import { COWD_HEADER } from '../../src/vmdk/cowd-extent.js';
import { SESPARSE_CONST_HEADER, SESPARSE_VOLATILE_HEADER } from '../../src/vmdk/sesparse-extent.js';
import { MBR_SECTOR, PARTITION_RECORD } from '../../src/volume/mbr.js';
import { GPT_ENTRY, GPT_HEADER } from '../../src/volume/gpt.js';
import { NTFS_BOOT_SECTOR } from '../../src/fs/ntfs/boot-sector.js';
import { MFT_RECORD_HEADER } from '../../src/fs/ntfs/mft-record.js';
import { NON_RESIDENT_ATTRIBUTE, RESIDENT_ATTRIBUTE } from '../../src/fs/ntfs/attribute.js';
import { INDEX_BLOCK_HEADER, INDEX_ENTRY_HEADER, INDEX_NODE_HEADER, INDEX_ROOT_HEADER } from '../../src/fs/ntfs/directory-index.js';

const sample = new Struct('sample', 'test')
  .u8('a', 'one byte')
  .u16('b', 'two bytes')
  .skip(1, 'gap')
  .u32('c', 'four bytes')
  .u64('d', 'eight bytes')
  .bytes('e', 3, 'three raw bytes');

describe('Struct', () => {
  it('derives each field offset and the size from the declaration', () => {
    expect(sample.offsets).toEqual({ a: 0, b: 1, c: 4, d: 8, e: 16 });
    expect(sample.size).toBe(19);
    expect(sample.fields.d).toEqual({ offset: 8, size: 8, meaning: 'eight bytes' });
  });

  it('decodes little-endian fields at their offsets, 64-bit ones as bigint', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 19, maxLength: 64 }), fc.nat(40), (bytes, shift) => {
        const at = Math.min(shift, bytes.length - 19);
        const view = new DataView(bytes.buffer, bytes.byteOffset + at);
        const got = sample.decode(bytes, at);
        expect(got.a).toBe(view.getUint8(0));
        expect(got.b).toBe(view.getUint16(1, true));
        expect(got.c).toBe(view.getUint32(4, true));
        expect(got.d).toBe(view.getBigUint64(8, true));
        expect([...got.e]).toEqual([...bytes.subarray(at + 16, at + 19)]);
      }),
    );
  });

  it('too few bytes is a TRUNCATED GrtError naming the structure and the offset', () => {
    const error = (() => {
      try {
        sample.decode(new Uint8Array(30), 12, 1000);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(GrtError);
    expect(error).toMatchObject({ code: 'TRUNCATED', structure: 'sample', offset: 1012, expected: 19, actual: 18 });
    expect(() => sample.decode(new Uint8Array(5))).toThrow(GrtError);
  });
});

// Offsets as the specs print them: the declarations must reproduce each one.
describe('declared structures match their specs', () => {
  it('KDMV header (VMDK technote)', () => {
    expect(KDMV_HEADER.size).toBe(512);
    expect(KDMV_HEADER.offsets).toMatchObject({ capacity: 12, grainSize: 20, descriptorOffset: 28, numGTEsPerGT: 44, rgdOffset: 48, gdOffset: 56, overHead: 64, uncleanShutdown: 72, singleEndLineChar: 73, compressAlgorithm: 77 });
  });

  it('COWD and seSparse headers', () => {
    expect(COWD_HEADER.offsets).toMatchObject({ numSectors: 12, grainSize: 16, gdOffset: 20, numGDEntries: 24, freeSector: 28 });
    expect(SESPARSE_CONST_HEADER.offsets).toMatchObject({ version: 8, capacity: 16, grainSize: 24, grainTableSize: 32, volatileHeaderOffset: 80, grainDirOffset: 128, grainDirSize: 136, grainTablesOffset: 144, grainTablesSize: 152, grainsOffset: 192, grainsSize: 200 });
    expect(SESPARSE_VOLATILE_HEADER.offsets.replayJournal).toBe(24);
  });

  it('MBR and its partition records (UEFI tables 5-1, 5-2)', () => {
    expect(MBR_SECTOR.size).toBe(512);
    expect(MBR_SECTOR.offsets).toMatchObject({ uniqueMbrDiskSignature: 440, partitionRecords: 446, signature: 510 });
    expect(PARTITION_RECORD.size).toBe(16);
    expect(PARTITION_RECORD.offsets).toEqual({ bootIndicator: 0, osType: 4, startingLba: 8, sizeInLba: 12 });
  });

  it('GPT header and entry (UEFI tables 5-5, 5-6)', () => {
    expect(GPT_HEADER.size).toBe(92);
    expect(GPT_HEADER.offsets).toMatchObject({ headerSize: 12, headerCrc32: 16, myLba: 24, alternateLba: 32, firstUsableLba: 40, lastUsableLba: 48, diskGuid: 56, partitionEntryLba: 72, numberOfPartitionEntries: 80, sizeOfPartitionEntry: 84, partitionEntryArrayCrc32: 88 });
    expect(GPT_ENTRY.size).toBe(128);
    expect(GPT_ENTRY.offsets).toEqual({ partitionTypeGuid: 0, uniquePartitionGuid: 16, startingLba: 32, endingLba: 40, attributes: 48, partitionName: 56 });
  });

  it('NTFS boot sector, MFT record header, attribute headers, index headers (libfsntfs)', () => {
    expect(NTFS_BOOT_SECTOR.size).toBe(512);
    expect(NTFS_BOOT_SECTOR.offsets).toMatchObject({ oemId: 0x03, bytesPerSector: 0x0b, sectorsPerCluster: 0x0d, totalSectors: 0x28, mftLcn: 0x30, mftMirrorLcn: 0x38, clustersPerMftRecord: 0x40, clustersPerIndexBlock: 0x44, serialNumber: 0x48, signature: 0x1fe });
    expect(MFT_RECORD_HEADER.offsets).toMatchObject({ usaOffset: 4, usaCount: 6, lsn: 8, sequenceNumber: 16, linkCount: 18, firstAttributeOffset: 20, flags: 22, usedSize: 24, allocatedSize: 28, baseRecord: 32, nextAttributeId: 40, recordNumber: 44 });
    expect(RESIDENT_ATTRIBUTE.size).toBe(24);
    expect(RESIDENT_ATTRIBUTE.offsets).toMatchObject({ type: 0, length: 4, nonResident: 8, nameLength: 9, nameOffset: 10, flags: 12, attributeId: 14, valueLength: 16, valueOffset: 20 });
    expect(NON_RESIDENT_ATTRIBUTE.size).toBe(64);
    expect(NON_RESIDENT_ATTRIBUTE.offsets).toMatchObject({ lowestVcn: 16, highestVcn: 24, mappingPairsOffset: 32, compressionUnit: 34, allocatedSize: 40, dataSize: 48, initializedSize: 56 });
    expect(INDEX_ROOT_HEADER.size).toBe(16);
    expect(INDEX_ROOT_HEADER.offsets).toMatchObject({ collationRule: 4, indexBlockSize: 8, clustersPerIndexBlock: 12 });
    expect(INDEX_BLOCK_HEADER.size).toBe(24);
    expect(INDEX_BLOCK_HEADER.offsets).toMatchObject({ usaOffset: 4, usaCount: 6, vcn: 16 });
    // An INDX block is fixed up like a FILE record: the same multi-sector header.
    expect([INDEX_BLOCK_HEADER.offsets.usaOffset, INDEX_BLOCK_HEADER.offsets.usaCount]).toEqual([MFT_RECORD_HEADER.offsets.usaOffset, MFT_RECORD_HEADER.offsets.usaCount]);
    expect(INDEX_NODE_HEADER.offsets).toEqual({ entriesOffset: 0, entriesEnd: 4, allocatedEnd: 8, flags: 12 });
    expect(INDEX_ENTRY_HEADER.offsets).toEqual({ fileReference: 0, entryLength: 8, keyLength: 10, flags: 12 });
  });
});
