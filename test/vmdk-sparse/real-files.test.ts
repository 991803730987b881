/**
 * Real files: images qemu-img makes (when qemu-img is installed) compared byte for byte with the
 * raw disk they came from, and the shared real-world fixtures (skipped when absent).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileSource } from '../../src/io/file-source.js';
import { openSparseExtent } from '../../src/vmdk/sparse-extent.js';
import { sniffVmdkFile } from '../../src/vmdk/sparse-header.js';
import { CountingSource } from '../helpers/counting-source.js';
import { expectGrtError, parentIsZero, patternedDisk, readAll } from './helpers.js';

const fixtures = resolve(__dirname, '../../../shared/fixtures');
const hasQemu = (() => {
  try {
    execFileSync('qemu-img', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!hasQemu)('qemu-img made images', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vmdk-sparse-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // 3 MiB + 3 sectors: the last grain is partial, so the short-last-grain path is exercised.
  const raw = patternedDisk(3 * 1024 * 1024 + 1536, 7);
  writeFileSync(join(dir, 'raw.img'), raw);
  const variants: [string, string][] = [
    ['streamOptimized', 'subformat=streamOptimized'],
    ['streamOptimized compat6', 'subformat=streamOptimized,compat6'],
    ['monolithicSparse', 'subformat=monolithicSparse'],
    ['monolithicSparse zeroed_grain', 'subformat=monolithicSparse,zeroed_grain=on'],
    ['monolithicSparse compat6', 'subformat=monolithicSparse,compat6'],
  ];
  for (const [name, opts] of variants) {
    it(`reads ${name} identical to the raw disk`, async () => {
      const file = join(dir, `${name.replace(/\W+/g, '-')}.vmdk`);
      execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'vmdk', '-o', opts, join(dir, 'raw.img'), file]);
      let expected = raw;
      if (name.includes('zeroed_grain')) {
        // convert leaves zero grains unallocated; an explicit zero write makes qemu store GTE 1.
        execFileSync('qemu-io', ['-f', 'vmdk', '-c', 'write -z 65536 131072', file], { stdio: 'ignore' });
        expected = raw.slice();
        expected.fill(0, 65536, 65536 + 131072);
      }
      const source = await FileSource.open(file);
      try {
        expect(sniffVmdkFile(await source.read(0, 512))).toBe('kdmv');
        const opened = await openSparseExtent(source, { path: file });
        expect(opened.kind).toBe(name.startsWith('stream') ? 'streamOptimized' : 'sparse');
        expect(opened.capacitySectors * 512).toBe(raw.length);
        expect(new TextDecoder().decode(opened.embeddedDescriptor)).toContain('# Disk DescriptorFile');
        expect(opened.warnings).toEqual([]);
        expect(Buffer.from(await readAll(opened.extent, parentIsZero)).equals(Buffer.from(expected))).toBe(true);
        // Holes in the raw disk (qemu skips all-zero grains) map as zero or parent, never as data.
        const map = await opened.extent.map(0, raw.length);
        for (const range of map) {
          if (range.state !== 'data') expect(expected.subarray(range.offset, range.offset + range.length).every((b) => b === 0)).toBe(true);
        }
        if (name.includes('zeroed_grain')) expect(map).toContainEqual({ offset: 65536, length: 131072, state: 'zero' });
      } finally {
        await source.close();
      }
    });
  }

  it('reads contiguous hosted sparse grains with one file read', async () => {
    const file = join(dir, 'contiguous.vmdk');
    execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'vmdk', '-o', 'subformat=monolithicSparse', join(dir, 'raw.img'), file]);
    const inner = await FileSource.open(file);
    const counting = new CountingSource(inner);
    try {
      const { extent } = await openSparseExtent(counting, { path: file });
      // The pattern fills the first MiB completely, so qemu stores its 16 grains back to back.
      await extent.read(0, new Uint8Array(64 * 1024), parentIsZero); // loads the grain table
      counting.reads = [];
      await extent.read(0, new Uint8Array(1024 * 1024), parentIsZero);
      expect(counting.reads.length).toBe(1);
    } finally {
      await inner.close();
    }
  });
});

describe.skipIf(!existsSync(fixtures))('shared fixtures', () => {
  it('recovers the grains of the truncated govmomi streamOptimized export', async () => {
    const path = join(fixtures, 'govmomi/ttylinux-pc_i486-16.1-disk1.vmdk');
    const source = await FileSource.open(path);
    try {
      const opened = await openSparseExtent(source, { path });
      expect(opened.kind).toBe('streamOptimized');
      expect(opened.warnings.some((w) => /footer missing; grain map recovered from 35 markers/.test(w.message))).toBe(true);
      const map = await opened.extent.map(0, opened.extent.size);
      const dataGrains = map.filter((r) => r.state === 'data');
      expect(dataGrains.length).toBeGreaterThan(0);
      // The first sector is an MBR (boot signature) of the ttylinux disk.
      const mbr = new Uint8Array(512);
      await opened.extent.read(0, mbr, parentIsZero);
      expect([mbr[510], mbr[511]]).toEqual([0x55, 0xaa]);
      // Past the cut: MISSING_DATA, quickly, naming the sector.
      const lastByte = opened.extent.size - 512;
      const error = await expectGrtError(opened.extent.read(lastByte, new Uint8Array(512), parentIsZero), 'MISSING_DATA');
      expect(error.message).toMatch(/sector/);
    } finally {
      await source.close();
    }
  });

  it('reads the osv-scalibr monolithicSparse completely (GPT header at byte 512)', async () => {
    const path = join(fixtures, 'osv-scalibr/valid-ext-exfat-fat32-ntfs.vmdk');
    const source = await FileSource.open(path);
    try {
      const opened = await openSparseExtent(source, { path });
      expect(opened.kind).toBe('sparse');
      expect(opened.capacitySectors).toBe((256 * 1024 * 1024) / 512);
      const all = await readAll(opened.extent, parentIsZero);
      expect(new TextDecoder().decode(all.subarray(512, 520))).toBe('EFI PART');
      expect(new TextDecoder().decode(opened.embeddedDescriptor)).toContain('valid.vmdk');
    } finally {
      await source.close();
    }
  });

  it('sniffs the 35-byte non-descriptor text file as unknown', () => {
    const bytes = readFileSync(join(fixtures, 'osv-scalibr/invalid.vmdk'));
    expect(sniffVmdkFile(bytes)).toBe('unknown');
  });
});
