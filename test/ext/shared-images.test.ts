import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openImage } from '../../src/image.js';

/** Images made by other people (see shared/fixtures/README.md; GRT_FIXTURES points elsewhere, e.g. from a worktree); skipped where absent. */
const FIXTURES = process.env.GRT_FIXTURES ?? new URL('../../../shared/fixtures/', import.meta.url).pathname;
const DFVFS_EXT2 = `${FIXTURES}dfvfs/ext2.vmdk`;
const SCALIBR = `${FIXTURES}osv-scalibr/valid-ext-exfat-fat32-ntfs.vmdk`;

describe.skipIf(!existsSync(DFVFS_EXT2))('dfvfs ext2.vmdk (unpartitioned ext2, 1 KiB blocks)', () => {
  it('lists its files, the symlink and lost+found, and reads them', async () => {
    const image = await openImage(DFVFS_EXT2);
    try {
      const fs = await image.openFileSystem();
      expect(fs.info).toMatchObject({ version: 'ext2', label: 'ext2_test' });
      const paths: string[] = [];
      for await (const entry of fs.walk('/')) paths.push(entry.path);
      expect(paths).toEqual(expect.arrayContaining(['/a_directory', '/a_directory/a_file', '/a_directory/another_file', '/passwords.txt', '/a_link', '/lost+found']));
      const link = await fs.stat('/a_link');
      expect(link.type).toBe('symlink');
      expect(link.target).toBeTruthy();
      const passwords = await fs.openStream('/passwords.txt');
      const text = new TextDecoder().decode(await passwords.read(0, passwords.size));
      expect(text.length).toBe(passwords.size);
      expect(text.startsWith('place,user,password\nbank,joesmith,superrich\n')).toBe(true);
    } finally {
      await image.close();
    }
  });
});

describe.skipIf(!existsSync(SCALIBR))('osv-scalibr valid-ext-exfat-fat32-ntfs.vmdk (GPT, ext4 partition)', () => {
  it('opens the ext4 partition and reads its private-key file', async () => {
    const image = await openImage(SCALIBR);
    try {
      const ext = image.layout.volumes.find((v) => v.fs === 'ext4');
      expect(ext).toBeDefined();
      const fs = await image.openFileSystem(ext!.index);
      const names = (await fs.readDir('/')).map((e) => e.name);
      const key = names.find((name) => /^private-key\d*\.pem$/.test(name));
      expect(key).toBeDefined();
      const stream = await fs.openStream(`/${key}`);
      const text = new TextDecoder().decode(await stream.read(0, stream.size));
      expect(text).toContain('PRIVATE KEY');
    } finally {
      await image.close();
    }
  });
});
