/**
 * What a volume says about itself reaches every command: a damaged primary NTFS boot sector (the
 * backup used), two file systems on one partition, damage a listing meets (an ext directory entry
 * skipped); and `grt-ls --info` shows the NTFS label ($Volume's $VOLUME_NAME), in text and --json.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main as catalog } from '../../src/cli/grt-catalog.js';
import { main as extract } from '../../src/cli/grt-extract.js';
import { main as ls } from '../../src/cli/grt-ls.js';
import { buildNtfs } from '../builders/ntfs-builder.js';

function sink() {
  const chunks: Buffer[] = [];
  return { stream: { write: (c: string | Uint8Array) => (chunks.push(Buffer.from(c)), true) }, text: () => Buffer.concat(chunks).toString('utf8') };
}
async function run(command: typeof ls, argv: string[]) {
  const stdout = sink();
  const stderr = sink();
  const code = await command(argv, { stdout: stdout.stream, stderr: stderr.stream });
  return { code, out: stdout.text(), err: stderr.text() };
}

let dir = '';
let damaged = '';
let twoFs = '';
let slashName = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'grt-volume-warnings-'));
  const image = buildNtfs({ volumeLabel: 'Backup Label', root: { kind: 'dir', name: '', children: [{ kind: 'file', name: 'a.txt', data: new TextEncoder().encode('hello') }] } });
  // The backup boot sector in the last sector; the primary keeps its OEM id (so the volume is
  // still found as NTFS) but loses its bytes-per-sector field.
  image.copyWithin(image.length - 512, 0, 512);
  image[0x0b] = 0;
  image[0x0c] = 0;
  damaged = join(dir, 'damaged.img');
  await writeFile(damaged, image);
  twoFs = join(dir, 'ntfs-ext2.img');
  await writeFile(twoFs, gunzipSync(readFileSync(join(import.meta.dirname, '../../test-images/fs-kinds/ntfs-ext2.img.gz'))));
  // The root's entry for big.bin (name_len 7, type 1) renamed "bi/.bin": a name no path can hold.
  const ext2 = gunzipSync(readFileSync(join(import.meta.dirname, '../../test-images/ext/ext2-1k.img.gz')));
  const at = ext2.indexOf(Buffer.from('\x07\x01big.bin', 'latin1'));
  expect(at).toBeGreaterThan(0);
  ext2[at + 4] = 0x2f;
  slashName = join(dir, 'slash-name.img');
  await writeFile(slashName, ext2);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const BOOT = /primary boot sector unusable .*using the backup/;

describe('a damaged primary boot sector', () => {
  it('is a warning of grt-ls (listing, --info, --info --json), with the label', async () => {
    const listing = await run(ls, [damaged, '/']);
    expect(listing.code).toBe(0);
    expect(listing.out).toBe('a.txt\n');
    expect(listing.err).toMatch(new RegExp(`^grt-ls: warning: ${BOOT.source}`, 'm'));
    const info = await run(ls, [damaged, '--info']);
    expect(info.out).toMatch(/label "Backup Label"/);
    expect(info.out).toMatch(new RegExp(`^warning: volume 0: ${BOOT.source}`, 'm'));
    const json = JSON.parse((await run(ls, [damaged, '--info', '--json'])).out);
    expect(json.partitions[0].label).toBe('Backup Label');
    expect(json.warnings.map((w: { message: string }) => w.message).join('\n')).toMatch(BOOT);
  });

  it('is a warning of grt-extract (stderr, --json events) and grt-catalog (stderr, --json)', async () => {
    const toStdout = await run(extract, [damaged, '/a.txt', '--stdout']);
    expect(toStdout.out).toBe('hello');
    expect(toStdout.err).toMatch(BOOT);
    const events = (await run(extract, [damaged, '/a.txt', '-o', join(dir, 'out'), '--json'])).out.trim().split('\n').map((l) => JSON.parse(l));
    expect(events.some((e) => e.type === 'warning' && BOOT.test(e.message))).toBe(true);
    const built = await run(catalog, [damaged, '-o', join(dir, 'c.grtcat'), '--json']);
    expect(built.code).toBe(0);
    expect(built.err).toMatch(BOOT);
    expect(JSON.parse(built.out).warnings.map((w: { message: string }) => w.message).join('\n')).toMatch(BOOT);
  });
});

describe('two file systems on one partition', () => {
  const AMBIGUOUS = 'the disk holds signatures of ntfs and ext2 (one formatted over the other); using ntfs, choose with --fs KIND';

  it('--info names both and the NTFS label; every command warns; --fs chooses', async () => {
    const info = await run(ls, [twoFs, '--info']);
    expect(info.out).toMatch(/ ntfs .*label "ntfs-label", also ext2/);
    expect(info.out).toContain(`warning: ${AMBIGUOUS}`);
    const json = JSON.parse((await run(ls, [twoFs, '--info', '--json'])).out);
    expect(json.partitions[0]).toMatchObject({ fs: 'ntfs', label: 'ntfs-label', alternatives: ['ext2'] });
    expect(json.warnings.map((w: { message: string }) => w.message)).toContain(AMBIGUOUS);
    const listing = await run(ls, [twoFs, '/']);
    expect(listing.code).toBe(0);
    expect(listing.err).toContain(`grt-ls: warning: ${AMBIGUOUS}`);
    expect((await run(extract, [twoFs, '/x', '--stdout'])).err).toContain(`grt-extract: warning: ${AMBIGUOUS}`);
    const ext2 = JSON.parse((await run(ls, [twoFs, '--info', '--json', '--fs', 'ext2'])).out);
    expect(ext2.partitions[0]).toMatchObject({ fs: 'ext2', label: 'ext2-over', alternatives: ['ntfs'] });
    // Only the ext2 superblock survived the NTFS made over it: its root inode is not a directory.
    const unreadable = await run(ls, [twoFs, '/', '--fs', 'ext2']);
    expect(unreadable.code).toBe(2);
    expect(unreadable.err).toMatch(/BAD_RECORD: inode 2: the root is not a directory/);
    expect((await run(ls, [twoFs, '/', '--fs', 'btrfs'])).err).toMatch(/USAGE: --fs btrfs: no volume holds/);
  });
});

describe('damage met while listing', () => {
  it('is printed by grt-ls after the listing, in text and --json, and by --find', async () => {
    for (const argv of [[slashName, '/'], [slashName, '-R', '/'], [slashName, '--json', '/'], [slashName, '--find', '*.bin']]) {
      const listing = await run(ls, argv);
      expect(listing.code).toBe(0);
      expect(listing.out).not.toMatch(/bi\/\.bin/);
      expect(listing.err).toMatch(/^grt-ls: warning: directory \/?: entry name with '\/' or NUL skipped$/m);
    }
  });
});
