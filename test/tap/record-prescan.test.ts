/**
 * The NTFS look-ahead's pre-scan of a kept MFT record (fixups not applied): it may say "look" when
 * no look is needed, never the other way round; records of resident attributes only are skipped.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mayNeedLook } from '../../src/fs/ntfs/tap-lookahead.js';
import { parseMftRecord } from '../../src/fs/ntfs/mft-record.js';
import { buildRecord, RECORD_IN_USE } from '../builders/ntfs/record.js';
import type { AttributeSpec } from '../builders/ntfs/attributes.js';

const LOOKED_AT = new Set([0x20, 0x50, 0x80, 0xc0]);
const nonResident = { runs: [{ lcn: 100, length: 2 }], lowestVcn: 0, highestVcn: 1, allocatedSize: 8192, dataSize: 5000, initializedSize: 5000, compressionUnit: 0, flags: 0 };

function record(attributes: AttributeSpec[], recordSize = 1024): Uint8Array {
  return buildRecord({ recordSize, recordNumber: 40, sequence: 1, flags: RECORD_IN_USE, linkCount: 1, attributes }, 0x1234);
}

const arbAttribute: fc.Arbitrary<AttributeSpec> = fc.record({
  type: fc.constantFrom(0x10, 0x20, 0x30, 0x40, 0x50, 0x80, 0xc0, 0x100),
  name: fc.constantFrom('', '$SDS', 'stream'),
  resident: fc.option(fc.uint8Array({ maxLength: 200 }).map((value) => ({ value })), { nil: undefined }),
}).map(({ type, name, resident }): AttributeSpec => (resident ? { type, name, resident } : { type, name, nonResident }));

describe('mayNeedLook', () => {
  it('skips a small file: standard information, a name, resident data', () => {
    const bytes = record([
      { type: 0x10, name: '', resident: { value: new Uint8Array(72) } },
      { type: 0x30, name: '', resident: { value: new Uint8Array(90).fill(0x41) } },
      { type: 0x80, name: '', resident: { value: new TextEncoder().encode('file 1/1\n') } },
    ]);
    expect(mayNeedLook(bytes)).toBe(false);
  });

  it('looks whenever the parsed record has a non-resident attribute of a kind predict reads', () => {
    fc.assert(
      fc.property(fc.array(arbAttribute, { maxLength: 8 }), fc.constantFrom(1024, 4096), (attributes, recordSize) => {
        let bytes: Uint8Array;
        try {
          bytes = record(attributes, recordSize);
        } catch {
          return; // more attributes than the record holds
        }
        const verdict = mayNeedLook(bytes);
        const parsed = parseMftRecord(bytes.slice(), 40, -1, 1 << 20);
        if (parsed.attributes.some((a) => a.nonResident && LOOKED_AT.has(a.type))) expect(verdict).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
