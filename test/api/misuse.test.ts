/**
 * A newcomer's guesses at the catalog API get a USAGE GrtError that names the right call, not an
 * internal TypeError reported as IO_ERROR (issue 14: `writeCatalog(image, path)`).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openImage, writeCatalog } from '../../src/index.js';
import { buildImageCatalog } from '../../src/catalog/index.js';

const IMAGE = resolve(__dirname, '../../test-images/ntfs/ntfs-mbr.vmdk');

describe('catalog API misuse', () => {
  it('writeCatalog(image, path) and buildImageCatalog(path, image) are USAGE errors naming buildImageCatalog(image, path)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'grt-misuse-'));
    const image = await openImage(IMAGE);
    try {
      const path = join(dir, 'c.grtc');
      const guessed = await writeCatalog(image as never, path as never).catch((e: unknown) => e);
      expect(guessed).toMatchObject({ name: 'GrtError', code: 'USAGE', message: expect.stringMatching(/buildImageCatalog\(image, path\)/) });
      const swapped = await buildImageCatalog(path as never, image as never).catch((e: unknown) => e);
      expect(swapped).toMatchObject({ code: 'USAGE', message: expect.stringMatching(/buildImageCatalog\(image, path\)/) });
      expect(existsSync(path)).toBe(false);
      expect(existsSync('[object Object].partial')).toBe(false);
    } finally {
      await image.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
