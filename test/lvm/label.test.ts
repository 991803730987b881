import { describe, expect, it } from 'vitest';
import { MemorySource } from '../../src/io/memory-source.js';
import { readPvLabel, lvmCrc } from '../../src/volume/lvm/label.js';
import { readMetadataArea } from '../../src/volume/lvm/metadata-area.js';
import { GrtError } from '../../src/errors.js';
import { writePv, MIB } from './pv-writer.js';

const CHECK_123456789 = 0x4991cf02;
const UUID = 'Mi3GgY3Gi99ox3gNZUQwfrfe53RZy0bM';

describe('LVM2 label and metadata area', () => {
  it("computes LVM's CRC: IEEE table seeded with 0xf597a6cf, no final XOR (lib/misc/crc.c)", () => {
    expect(lvmCrc(new Uint8Array(0))).toBe(0xf597a6cf);
    // The same CRC computed as ~zlib.crc32(data, ~seed): a check value independent of this code.
    expect(lvmCrc(new TextEncoder().encode('123456789'))).toBe(CHECK_123456789);
  });

  it('reads the label in any of sectors 0-3 and the metadata text', async () => {
    for (const labelSector of [0, 1, 2, 3]) {
      const pv = new MemorySource(writePv({ rawUuid: UUID, size: 2 * MIB, labelSector }, 'vg { }'));
      const label = await readPvLabel(pv);
      expect(label).toEqual({ labelSector, pvUuid: 'Mi3GgY-3Gi9-9ox3-gNZU-Qwfr-fe53-RZy0bM', deviceSize: 2 * MIB, dataAreas: [{ offset: MIB, size: 0 }], metadataAreas: [{ offset: 4096, size: MIB - 4096 }] });
      expect((await readMetadataArea(pv, label!.metadataAreas[0]!))?.text).toBe('vg { }');
    }
  });

  it('reads text that wraps around the end of the circular buffer', async () => {
    const text = 'vg { # ' + 'x'.repeat(3000) + '\n}';
    const pv = new MemorySource(writePv({ rawUuid: UUID, size: 2 * MIB, mdaSize: 8192, textOffset: 8192 - 1000 }, text));
    const label = await readPvLabel(pv);
    expect((await readMetadataArea(pv, label!.metadataAreas[0]!))?.text).toBe(text);
  });

  it('is undefined on a disk without a label', async () => {
    expect(await readPvLabel(new MemorySource(new Uint8Array(4096)))).toBeUndefined();
    expect(await readPvLabel(new MemorySource(new Uint8Array(100)))).toBeUndefined();
  });

  it('refuses a damaged label, header or text with a GrtError naming the check', async () => {
    const bytes = writePv({ rawUuid: UUID, size: 2 * MIB }, 'vg { }');
    const flip = (at: number) => {
      const copy = bytes.slice();
      copy[at]! ^= 1;
      return new MemorySource(copy);
    };
    await expect(readPvLabel(flip(512 + 40))).rejects.toMatchObject({ code: 'BAD_CHECKSUM', structure: 'LVM2 label' });
    const area = { offset: 4096, size: MIB - 4096 };
    await expect(readMetadataArea(flip(4096 + 30), area)).rejects.toMatchObject({ code: 'BAD_CHECKSUM', structure: 'LVM2 mda_header' });
    await expect(readMetadataArea(flip(4096 + 512 + 2), area)).rejects.toMatchObject({ code: 'BAD_CHECKSUM', structure: 'LVM2 metadata text' });
    await expect(readMetadataArea(new MemorySource(bytes), { offset: 4096, size: 4096 })).rejects.toBeInstanceOf(GrtError);
  });
});
