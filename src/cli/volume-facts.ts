/**
 * What the commands say about the volumes they read besides their files: the warnings of the
 * partition layer (tables, two file systems on one partition) and of a mounted file system (a
 * backup boot sector used, ...), which every command prints, and the facts only a mount reads
 * (an NTFS label lives in $Volume), which `grt-ls --info` shows.
 */
import { GrtError, warningFrom, type GrtWarning } from '../errors.js';
import type { FileSystem } from '../fs/file-system.js';
import type { Image } from '../image.js';
import type { CliIo } from './output.js';

/** The warnings a mounted file system collected while it was opened (NtfsVolume.warnings). */
export function fileSystemWarnings(fs: FileSystem): GrtWarning[] {
  return [...(fs.warnings ?? [])];
}

/** The layout's warnings and those of the mounted file system, as `name: warning: ...` lines on stderr. */
export function printMountWarnings(name: string, image: Image, fs: FileSystem | undefined, io: CliIo): GrtWarning[] {
  const warnings = [...image.layout.warnings, ...(fs ? fileSystemWarnings(fs) : [])];
  for (const w of warnings) io.stderr.write(`${name}: warning: ${w.message}\n`);
  return warnings;
}

export interface MountedFacts {
  label?: string;
  warnings: GrtWarning[];
}

/**
 * Mount every volume grt can read and note its label and warnings (by volume id). A volume
 * that fails to mount gets that failure as its warning; kinds grt has no reader for are skipped.
 */
export async function mountedFacts(image: Image): Promise<Map<string, MountedFacts>> {
  const facts = new Map<string, MountedFacts>();
  for (const volume of image.layout.volumes) {
    try {
      const fs = await image.openFileSystem(volume.id);
      const label = fs.info.label;
      facts.set(volume.id, { ...(label !== undefined && label !== '' ? { label } : {}), warnings: fileSystemWarnings(fs) });
    } catch (error) {
      if (!(error instanceof GrtError)) throw error;
      if (error.code !== 'UNSUPPORTED') facts.set(volume.id, { warnings: [warningFrom(error)] });
    }
  }
  return facts;
}
