/**
 * Deleted files and record numbers on the committed ntfs-3g disk (test-images/ntfs, vol1): what
 * `grt-ls --deleted` lists, `grt-extract --deleted` extracts by the same path, `--mft N` extracts by
 * record number (as icat), and `grt-ls -l` shows that number. Hashes from the folder's manifest.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main as catalog } from '../../src/cli/grt-catalog.js';
import { main as extract } from '../../src/cli/grt-extract.js';
import { main as ls } from '../../src/cli/grt-ls.js';

const DIR = resolve(__dirname, '../../test-images/ntfs');
const MANIFEST = join(DIR, 'manifest.json');
const IMAGE = join(DIR, 'ntfs-mbr.vmdk');

interface ManifestEntry { path: string; mftRecord: number; sha256: string | null; deleted?: boolean }

function sink() {
  const chunks: Buffer[] = [];
  return { chunks, stream: { write: (c: string | Uint8Array) => (chunks.push(Buffer.from(c)), true) }, text: () => Buffer.concat(chunks).toString('utf8') };
}
async function run(command: typeof ls, argv: string[]) {
  const stdout = sink();
  const stderr = sink();
  const code = await command(argv, { stdout: stdout.stream, stderr: stderr.stream });
  return { code, stdout, stderr };
}
const sha = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

describe.skipIf(!existsSync(MANIFEST) || !existsSync(IMAGE))('deleted files and MFT record numbers', () => {
  const manifest = existsSync(MANIFEST) ? JSON.parse(readFileSync(MANIFEST, 'utf8')) : { volumes: [] };
  const vol1 = (manifest.volumes as { name: string; entries: ManifestEntry[] }[]).find((v) => v.name === 'vol1');
  const gone = vol1?.entries.find((e) => e.path === '/deleted/gone.txt');
  const live = vol1?.entries.find((e) => e.path === '/readme.txt');
  const temps: string[] = [];
  afterAll(async () => {
    for (const dir of temps) await rm(dir, { recursive: true, force: true });
  });

  it('the manifest has the deleted file this test is about', () => {
    expect(gone?.deleted).toBe(true);
    expect(gone?.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('grt-ls -l shows the record number; --deleted lists the deleted file', async () => {
    const listing = await run(ls, [IMAGE, '/', '-l']);
    expect(listing.stdout.text()).toMatch(new RegExp(`^- +${live!.mftRecord} +\\d+ .* readme\\.txt$`, 'm'));
    const deleted = await run(ls, [IMAGE, '/deleted', '-l', '--deleted']);
    expect(deleted.stdout.text()).toMatch(new RegExp(`^- +${gone!.mftRecord} +\\d+ .* gone\\.txt \\(deleted\\)$`, 'm'));
    // The deleted file's own path, as grt-extract --deleted takes it.
    const one = await run(ls, [IMAGE, gone!.path, '-l', '--deleted']);
    expect(one.code).toBe(0);
    expect(one.stdout.text()).toMatch(new RegExp(`^- +${gone!.mftRecord} +20000 .* /deleted/gone\\.txt \\(deleted\\)\n$`));
  });

  it('grt-extract --deleted reads a deleted path (NOT_FOUND without it), to stdout and to a folder', async () => {
    const without = await run(extract, [IMAGE, gone!.path, '--stdout']);
    expect(without.code).toBe(2);
    expect(without.stderr.text()).toMatch(/NOT_FOUND/);
    const out = await run(extract, [IMAGE, gone!.path, '--stdout', '--deleted']);
    expect(out.code).toBe(0);
    expect(sha(Buffer.concat(out.stdout.chunks))).toBe(gone!.sha256);
    const to = await mkdtemp(join(tmpdir(), 'grt-deleted-'));
    temps.push(to);
    const restored = await run(extract, [IMAGE, '/DELETED/gone.txt', '--deleted', '-o', to]);
    expect(restored.code).toBe(0);
    expect(sha(await readFile(join(to, 'gone.txt')))).toBe(gone!.sha256);
  });

  it('grt-extract --mft N reads record N, live or deleted, from the image and through a catalog', async () => {
    const byRecord = await run(extract, [IMAGE, '--mft', String(gone!.mftRecord), '--stdout']);
    expect(byRecord.code).toBe(0);
    expect(sha(Buffer.concat(byRecord.stdout.chunks))).toBe(gone!.sha256);
    const to = await mkdtemp(join(tmpdir(), 'grt-mft-'));
    temps.push(to);
    const restored = await run(extract, [IMAGE, '--mft', String(live!.mftRecord), '-o', to]);
    expect(restored.code).toBe(0);
    expect(sha(await readFile(join(to, 'readme.txt')))).toBe(live!.sha256);
    const catalogPath = join(to, 'image.grtcat');
    expect((await run(catalog, [IMAGE, '-o', catalogPath])).code).toBe(0);
    const viaCatalog = await run(extract, ['--catalog', catalogPath, IMAGE, '--mft', String(gone!.mftRecord), '--stdout']);
    expect(viaCatalog.code).toBe(0);
    expect(sha(Buffer.concat(viaCatalog.stdout.chunks))).toBe(gone!.sha256);
    expect((await run(extract, [IMAGE, '--mft', 'x', '--stdout'])).code).toBe(2);
    expect((await run(extract, [IMAGE, '/readme.txt', '--mft', '5', '--stdout'])).stderr.text()).toMatch(/USAGE/);
  });
});

describe.skipIf(!existsSync(IMAGE))('grt-ls --info on the ntfs-3g disks', () => {
  it('shows the NTFS labels mkntfs gave (-L grt-vol1, grt-vol2)', async () => {
    for (const [file, label] of [['ntfs-mbr.vmdk', 'grt-vol1'], ['ntfs-gpt-stream.vmdk', 'grt-vol2']]) {
      const text = await run(ls, [join(DIR, file!), '--info']);
      expect(text.stdout.text()).toMatch(new RegExp(` ntfs .*label "${label}"`));
      expect(JSON.parse((await run(ls, [join(DIR, file!), '--info', '--json'])).stdout.text()).partitions[0].label).toBe(label);
    }
  });
});
