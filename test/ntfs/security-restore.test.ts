/**
 * restore({ security: 'xattr' }) / grt-extract --security=xattr: each restored NTFS file carries
 * its self-relative security descriptor as `user.ntfs_acl`, byte for byte what ntfs-3g shows as
 * `system.ntfs_acl` (the oracle in test-images/security/manifest.json); without the option none.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { openNtfs } from '../../src/fs/ntfs/volume.js';
import { openImage } from '../../src/image.js';
import { MemorySource } from '../../src/io/memory-source.js';
import { restore, type RestoreEvent } from '../../src/restore/restore.js';
import { xattrToolAvailable } from '../../src/restore/xattr.js';

const DIR = new URL('../../test-images/security/', import.meta.url).pathname;
const manifest = JSON.parse(readFileSync(`${DIR}manifest.json`, 'utf8')) as { files: { path: string; ntfs_acl: string }[] };
/** test-images/wof: a directory's descriptor as ntfs-3g shows it (small enough for ext4's xattr space). */
const WOF_DIR = new URL('../../test-images/wof/', import.meta.url).pathname;
const wofDirs = (JSON.parse(readFileSync(`${WOF_DIR}manifest.json`, 'utf8')) as { dirs: { path: string; ntfs_acl: string }[] }).dirs;
const out = mkdtempSync(join(tmpdir(), 'grt-security-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** The hex value of xattr `name` on `path`, or undefined when it has none. */
function xattrHex(path: string, name: string): string | undefined {
  try {
    return execFileSync('getfattr', ['-n', name, '-e', 'hex', '--only-values', path], { stdio: ['ignore', 'pipe', 'ignore'] }).toString('hex');
  } catch {
    return undefined;
  }
}

describe.skipIf(process.platform !== 'linux')('security descriptors kept as user.ntfs_acl', () => {
  it('sets each restored file\'s descriptor, as ntfs-3g reads it; none without the option', async () => {
    if (!(await xattrToolAvailable())) return; // CI without the attr tools: nothing to check here
    const fs = await openNtfs(new MemorySource(new Uint8Array(gunzipSync(readFileSync(`${DIR}security.img.gz`)))));
    const files = manifest.files.filter((f) => f.path.lastIndexOf('/') === 0);
    expect(files.length).toBeGreaterThan(0);
    const events: RestoreEvent[] = [];
    const summary = await restore({ fs, paths: files.map((f) => f.path), to: join(out, 'kept'), security: 'xattr', onEvent: (e) => events.push(e) });
    expect(summary.failed).toBe(0);
    let compared = 0;
    for (const f of files) {
      const entry = await fs.stat(f.path);
      if (entry.type !== 'file') continue;
      compared++;
      const restored = join(out, 'kept', entry.name);
      // --only-values with -e hex prints raw bytes: compare them as hex.
      expect(xattrHex(restored, 'user.ntfs_acl'), f.path).toBe(f.ntfs_acl);
    }
    expect(compared).toBeGreaterThan(0);
    await restore({ fs, paths: files.map((f) => f.path), to: join(out, 'plain') });
    for (const f of files) {
      const entry = await fs.stat(f.path);
      if (entry.type === 'file') expect(xattrHex(join(out, 'plain', entry.name), 'user.ntfs_acl')).toBeUndefined();
    }
  });

  it('sets each restored directory\'s descriptor too; none without the option', async () => {
    if (!(await xattrToolAvailable())) return;
    expect(wofDirs.length).toBeGreaterThan(0);
    const image = await openImage(`${WOF_DIR}wof.vmdk`);
    try {
      const fs = await image.openFileSystem();
      const summary = await restore({ fs, paths: wofDirs.map((d) => d.path), to: join(out, 'dirs'), security: 'xattr' });
      expect(summary.failed).toBe(0);
      for (const d of wofDirs) {
        const restored = join(out, 'dirs', d.path.slice(d.path.lastIndexOf('/') + 1));
        expect(xattrHex(restored, 'user.ntfs_acl'), d.path).toBe(d.ntfs_acl);
      }
      await restore({ fs, paths: wofDirs.map((d) => d.path), to: join(out, 'dirs-plain') });
      for (const d of wofDirs) expect(xattrHex(join(out, 'dirs-plain', d.path.slice(d.path.lastIndexOf('/') + 1)), 'user.ntfs_acl')).toBeUndefined();
    } finally {
      await image.close();
    }
  });
});
