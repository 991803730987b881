import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtemp, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GrtError } from '../../src/errors.js';
import { localFileOpener } from '../../src/io/local-opener.js';
import { parseVmx, readVmx, decodeVmxValue, MAX_VMX_LINES } from '../../src/vm/vmx.js';

const VMX = `.encoding = "UTF-8"
config.version = "8"
displayName = "web |22prod|22"
ide1:0.present = "TRUE"
ide1:0.deviceType = "cdrom-image"
ide1:0.fileName = "/iso/ubuntu.iso"
SATA0:1.present = "TRUE"
sata0:1.fileName = "data-sata.vmdk"
scsi0.present = "TRUE"
scsi0:1.present = "TRUE"
scsi0:1.fileName = "web_1.vmdk"
scsi0:0.present = "TRUE"
scsi0:0.deviceType = "scsi-hardDisk"
scsi0:0.fileName = "web.vmdk"   # the boot disk
scsi1.present = "FALSE"
scsi1:0.fileName = "gone.vmdk"
nvme0:0.fileName = "fast.vmdk"
ide0:0.fileName = "old.vmdk"
ide0:1.present = "FALSE"
ide0:1.fileName = "off.vmdk"
floppy0.fileName = "a.flp"
`;

describe('.vmx', () => {
  it('lists disks in controller order (scsi, sata, nvme, ide), skipping CD-ROMs and absent devices', () => {
    const parsed = parseVmx(VMX);
    expect(parsed.disks.map((d) => [d.slot, d.fileName])).toEqual([
      ['scsi0:0', 'web.vmdk'],
      ['scsi0:1', 'web_1.vmdk'],
      ['sata0:1', 'data-sata.vmdk'],
      ['nvme0:0', 'fast.vmdk'],
      ['ide0:0', 'old.vmdk'],
    ]);
    expect(parsed.skipped).toEqual([
      { slot: 'ide1:0', reason: 'deviceType "cdrom-image" is not a disk' },
      { slot: 'scsi1:0', reason: 'not present' },
      { slot: 'ide0:1', reason: 'not present' },
    ]);
    expect(parsed.settings.get('displayname')).toBe('web "prod"');
  });

  it('sorts units and buses numerically', () => {
    const parsed = parseVmx('scsi0:10.fileName = "c"\nscsi0:2.fileName = "b"\nscsi10:0.fileName = "d"\nscsi1:0.fileName = "x"');
    expect(parsed.disks.map((d) => d.fileName)).toEqual(['b', 'c', 'x', 'd']);
  });

  it('decodes |XX escapes and keeps a lone |', () => {
    expect(decodeVmxValue('a|7Cb|22c|e2|82|acd|zz|')).toBe('a|b"c€d|zz|');
  });

  it('refuses malformed lines and oversized files with GrtErrors', () => {
    expect(() => parseVmx('scsi0:0.fileName "x"')).toThrow(expect.objectContaining({ code: 'BAD_DESCRIPTOR' }));
    expect(() => parseVmx('a = "1"\n'.repeat(MAX_VMX_LINES + 1))).toThrow(expect.objectContaining({ code: 'LIMIT_EXCEEDED' }));
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        try {
          parseVmx(text);
        } catch (error) {
          expect(error).toBeInstanceOf(GrtError);
        }
      }),
    );
  });

  it('resolves disk names by the SourceOpener rule: inside the folder, absolute ones by base name', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'grt-vmx-'));
    await mkdir(join(dir, 'vm'));
    await writeFile(join(dir, 'vm', 'a.vmdk'), 'x');
    await writeFile(join(dir, 'vm', 'b.vmdk'), 'x');
    await writeFile(join(dir, 'secret.vmdk'), 'x');
    const vmx = join(dir, 'vm', 'x.vmx');
    await writeFile(vmx, 'scsi0:0.fileName = "a.vmdk"\nscsi0:1.fileName = "/vmfs/volumes/ds1/vm/b.vmdk"');
    const parsed = await readVmx(localFileOpener, vmx);
    expect(parsed.disks.map((d) => d.location)).toEqual([join(dir, 'vm', 'a.vmdk'), join(dir, 'vm', 'b.vmdk')]);
    await writeFile(vmx, 'scsi0:0.fileName = "../secret.vmdk"');
    await expect(readVmx(localFileOpener, vmx)).rejects.toMatchObject({ code: 'UNSAFE_PATH', message: expect.stringContaining('.vmx disk name') });
  });
});
