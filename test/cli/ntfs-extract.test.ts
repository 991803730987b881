/**
 * End to end: grt-extract on the committed NTFS disk made by ntfs-3g (test-images/ntfs), checked
 * against that folder's manifest (written from an ntfs-3g mount and cross-checked with TSK).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { lstat, mkdtemp, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { main as extract } from '../../src/cli/grt-extract.js';
import { main as ls } from '../../src/cli/grt-ls.js';

const DIR = resolve(__dirname, '../../test-images/ntfs');
const MANIFEST = join(DIR, 'manifest.json');
const IMAGE = join(DIR, 'ntfs-mbr.vmdk');
/** Top-level folders restored (bigdir's 1000 files only cost time here). */
const PATHS = ['/chain', '/compressed', '/frag', '/links', '/names', '/sparse', '/streams', '/readme.txt', '/hardlink-in-root.txt'];

interface ManifestEntry {
  path: string; type: string; mftRecord: number; size: number | null; sha256: string | null;
  streams: { name: string; size: number; sha256: string }[]; links: number; target?: string; mtime: string; deleted?: boolean;
}

function collect() {
  const out: string[] = [];
  return { out, stream: { write: (c: string | Uint8Array) => (out.push(typeof c === 'string' ? c : Buffer.from(c).toString('latin1')), true) } };
}
const sha = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

describe.skipIf(!existsSync(MANIFEST) || !existsSync(IMAGE))('grt-extract on an ntfs-3g disk', () => {
  let out: string;
  let entries: ManifestEntry[];
  let code: number;
  let stderr: string;
  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'grt-ntfs-extract-'));
    const manifest = JSON.parse(readFileSync(MANIFEST, 'utf8'));
    // ntfs-mbr.vmdk holds vol1 (manifest.disks[].partitions[].volume).
    const volume = (manifest.volumes as { name: string; entries: ManifestEntry[] }[]).find((v) => v.name === 'vol1')!;
    entries = volume.entries.filter((e) => !e.deleted && PATHS.some((p) => e.path === p || e.path.startsWith(`${p}/`)));
    const err = collect();
    code = await extract([IMAGE, ...PATHS, '-o', out], { stdout: collect().stream, stderr: err.stream });
    stderr = err.out.join('');
  });
  afterAll(async () => {
    await rm(out, { recursive: true, force: true });
  });

  it('exits 0, warning only about links that point outside', () => {
    expect(code).toBe(0);
    for (const line of stderr.trimEnd().split('\n').slice(0, -1)) expect(line).toMatch(/^grt-extract: warning: .*(absolute target|outside)/);
  });

  it('every file and named stream has the manifest bytes and mtime', async () => {
    const files = entries.filter((e) => e.type === 'file');
    expect(files.length).toBeGreaterThan(10);
    for (const e of files) {
      const path = join(out, e.path);
      const st = await lstat(path);
      expect(st.isFile(), e.path).toBe(true);
      expect(sha(await readFile(path)), e.path).toBe(e.sha256);
      expect(new Date(Math.floor(st.mtimeMs / 1000) * 1000).toISOString().replace('.000', ''), e.path).toBe(e.mtime);
      for (const s of e.streams) expect(sha(await readFile(`${path}.${s.name}.ads`)), `${e.path}:${s.name}`).toBe(s.sha256);
    }
    for (const e of entries.filter((x) => x.type === 'dir')) {
      for (const s of e.streams) expect(sha(await readFile(`${join(out, e.path)}.${s.name}.ads`)), `${e.path}:${s.name}`).toBe(s.sha256);
    }
  });

  it('hard links share an inode; relative symlinks are recreated, absolute ones are not', async () => {
    const byRecord = new Map<number, number>();
    for (const e of entries.filter((x) => x.type === 'file' && x.links > 1)) {
      const ino = (await lstat(join(out, e.path))).ino;
      if (byRecord.has(e.mftRecord)) expect(ino, e.path).toBe(byRecord.get(e.mftRecord));
      byRecord.set(e.mftRecord, ino);
    }
    for (const e of entries.filter((x) => x.type === 'symlink' || x.type === 'junction')) {
      const target = e.target ?? '';
      const path = join(out, e.path);
      if (/^([A-Za-z]:|\\|\/)/.test(target)) expect(existsSync(path) || (await lstat(path).catch(() => null)) !== null, e.path).toBe(false);
      else expect(await readlink(path), e.path).toBe(target.replace(/\\/g, '/'));
    }
  });

  it('sparse files keep their holes', async () => {
    for (const e of entries.filter((x) => x.type === 'file' && x.path.startsWith('/sparse/'))) {
      const st = await lstat(join(out, e.path));
      expect(st.blocks * 512, e.path).toBeLessThan(st.size);
    }
  });

  it('grt-ls --json agrees with the manifest on records and sizes', async () => {
    const stdout = collect();
    expect(await ls([IMAGE, '-R', '--json', '/links'], { stdout: stdout.stream, stderr: collect().stream })).toBe(0);
    const listed = stdout.out.join('').trimEnd().split('\n').map((l) => JSON.parse(l));
    for (const e of entries.filter((x) => x.path.startsWith('/links/'))) {
      const got = listed.find((l) => l.path === e.path);
      expect(got, e.path).toBeDefined();
      expect(got.mft.record, e.path).toBe(e.mftRecord);
      if (e.type === 'file') expect(got.size, e.path).toBe(e.size);
    }
  });

  it('snapshot chain: each level restores its own version of the changed files', async () => {
    const manifest = JSON.parse(readFileSync(MANIFEST, 'utf8'));
    for (const level of manifest.chain.levels as { file: string; changedFiles: { path: string; sha256: string }[] }[]) {
      const to = join(out, 'chain-levels', level.file);
      const paths = level.changedFiles.map((f) => f.path);
      expect(await extract([join(DIR, level.file), ...paths, '-o', to, '--json'], { stdout: collect().stream, stderr: collect().stream }), level.file).toBe(0);
      for (const f of level.changedFiles) expect(sha(await readFile(join(to, f.path.split('/').pop()!))), `${level.file} ${f.path}`).toBe(f.sha256);
    }
  });
});
