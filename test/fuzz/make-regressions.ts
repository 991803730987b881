/**
 * Makes the hand-reduced fuzz regression fixtures in test-images/regressions/ and their manifest
 * (sha256 of every file). Run: npx vite-node test/fuzz/make-regressions.ts
 * Fixtures saved by `npm run fuzz` (UNTRIAGED-…) are reduced to a recipe here before committing.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { REPO_ROOT } from './harness.js';
import { buildNtfsVolume } from '../builders/ntfs-builder.js';

const DIR = join(REPO_ROOT, 'test-images/regressions');

function fixture(name: string, files: Record<string, Uint8Array | string>, repro: string): void {
  const dir = join(DIR, name);
  mkdirSync(dir, { recursive: true });
  for (const [file, bytes] of Object.entries(files)) writeFileSync(join(dir, file), bytes);
  writeFileSync(join(dir, 'REPRO.txt'), repro.trimStart());
}

// A glob with several stars against a long name: the glob compilers backtracked exponentially.
for (const kind of ['catalog', 'restore'] as const) {
  const where = 'src/util/glob.ts compileGlob (a state-set simulation past a few stars; restore selections use it since the move out of src/catalog)';
  fixture(`OK-glob-backtracking-${kind}`, { 'glob.txt': '*_*_*_*_*.log', 'names.txt': `${'_'.repeat(200)}x` }, `
TIMEOUT target=glob-${kind} (hand-made; the fuzzer first found it with glob "***_***.*[a-c]**")
A glob with several '*' against a long name from the image backtracks exponentially in a RegExp
built with '[^/]*' per '*': 40 s for this 201-character name, and two more stars never finish.
Where: ${where}. Names come from the image, so a hostile (or just odd) image plus an ordinary
glob hangs the listing or the restore selection.
Expected once fixed: the match ends quickly (no error) -> directory prefix OK.
main file: glob.txt
`);
}

// $UpCase (record 10) replaced by a record without an unnamed $DATA ($Extend's, a directory).
{
  const built = buildNtfsVolume({ clusterSize: 4096, root: { kind: 'dir', name: '', children: [{ kind: 'file', name: 'a.txt', data: new TextEncoder().encode('hello') }] } });
  const image = built.image.slice();
  const mft = built.mftLcn * built.clusterSize;
  const size = built.recordSize;
  image.copyWithin(mft + 10 * size, mft + 11 * size, mft + 12 * size);
  fixture('ANY-ntfs-upcase-without-data', { 'ntfs.img.gz': gzipSync(image) }, `
CRASH target=ntfs-synthetic (hand-reduced; the fuzzer found it as ntfs-synthetic seed=1080275438,
restore seeds 1604650050 / 1295478100 / 372481238, ntfs-real seed=1944426303: swapped MFT records)
TypeError: Cannot read properties of undefined (reading 'name')
    at buildLayout (src/fs/ntfs/data-stream.ts: const first = extents[0]!; first.name)
    at readAttributeValue (src/fs/ntfs/mft.ts)
    at openNtfs (src/fs/ntfs/volume.ts: $UpCase read inside attempt(), which rethrows non-GrtErrors)
MFT record 10 here is a copy of record 11 ($Extend): no unnamed $DATA, so extentsOf() is empty
and buildLayout dereferences extents[0]. Expected once fixed: a GrtError for the missing
attribute, turned into the "$UpCase unreadable" warning -> the volume opens (prefix ANY: a result
or a GrtError from the later walk).
main file: ntfs.img
`);
}

// ext4-journal with a journal copy of an inode table block damaged: a file's i_size becomes ~81 TB.
{
  const image = new Uint8Array(gunzipSync(readFileSync(join(REPO_ROOT, 'test-images/ext/ext4-journal.img.gz'))));
  image.copyWithin(0x2d05e, 0x5a90fb, 0x5a90fb + 16);
  new DataView(image.buffer).setUint32(0x4c3e64, 0x68248a5d, true);
  fixture('OK-ext-layout-huge-hole', { 'ext.img.gz': gzipSync(image) }, `
TIMEOUT target=ext-real seed=1725872853: no result within 5000 ms
  damage: ext.img: 16 bytes from 0x5a90fb copied to 0x2d05e
  damage: ext.img@0x4c3e64: u32 = 0x68248a5d
After the journal replay /bigdir/file-with-a-longish-name-164.txt has an i_size of 81,217,831,567,364
bytes: its data runs end in a hole of ~2e10 blocks, and ExtFileSystem.streamLayout (src/fs/ext/volume.ts)
walked every block of every run to find the ones the journal rewrote: 135 s for that one file.
Expected once fixed: the layout is built per run and per replayed block -> the walk ends (OK).
main file: ext.img
rerun: node scripts/fuzz.mjs --target ext-real --seed 1725872853
`);
}

// Manifest: sha256 of every fixture file.
const manifest: Record<string, string> = {};
for (const name of readdirSync(DIR).sort()) {
  if (!statSync(join(DIR, name)).isDirectory() || name.startsWith('UNTRIAGED-')) continue;
  for (const file of readdirSync(join(DIR, name)).sort()) {
    manifest[`${name}/${file}`] = createHash('sha256').update(readFileSync(join(DIR, name, file))).digest('hex');
  }
}
writeFileSync(join(DIR, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
