/**
 * An OVA: one tar archive holding an OVF descriptor, its disks (usually streamOptimized VMDKs) and
 * a manifest, read in place — each disk a window of the archive, opened through a TarMemberOpener
 * over whatever opener reaches the .ova (a local file, HTTP, S3).
 *
 * Source: DMTF DSP0243 §5.3 "Distribution as a single file": a ustar archive whose first member is
 * the .ovf descriptor, followed by the .mf manifest and certificate when present, then the files
 * References names by their href. grt does not require that order (the descriptor is found by its
 * name anywhere at the top of the archive) but requires exactly one descriptor.
 */
import { GrtError, type GrtWarning } from '../errors.js';
import type { InputFile } from '../io/file-source.js';
import type { SourceOpener } from '../io/source-opener.js';
import { TarMemberOpener } from '../io/sources/tar-member.js';
import { PackageDiskOpener } from './ova-disk-opener.js';
import { diskFiles, MAX_OVF_BYTES, memberNameOf, parseOvf, type OvfDisk } from './ovf.js';

export interface OvaDisk {
  diskId: string;
  /** The member holding the disk (the File's href); for a chunked file, the name its chunks are joined as. */
  member: string;
  /** The members holding a file stored in chunks (`ovf:chunkSize`), in order. */
  chunks?: string[];
  /** Where the member opener finds it. */
  location: string;
  format?: string;
  /** `gzip`: stored gzip'd whole (`ovf:compression`); `diskOpener` opens it decompressed. */
  compression?: 'gzip';
}

export interface OvaPackage {
  /** Opens the package's members as stored; holds the archive until `release()`. */
  opener: TarMemberOpener;
  /** Opens the disks: as `opener` does, a gzip'd one decompressed. */
  diskOpener: SourceOpener;
  /** The descriptor's member name. */
  ovf: string;
  /** The manifest's member name, when the package has one. */
  manifest: string | undefined;
  /** The certificate file's member name (a signed package), when it has one. */
  certificate: string | undefined;
  /** Disks with data, in the descriptor's order. */
  disks: OvaDisk[];
  /** Disks the descriptor declares without a file (created empty on import): nothing to read. */
  empty: OvfDisk[];
  /** Oddities that do not stop reading (a File size that is not the member's). */
  warnings: GrtWarning[];
  /** The .ova's own identity when it is a local file: a restore must never write over it. */
  identity: InputFile | undefined;
}

/** Members at the top of the archive (no folder) whose name ends in `extension`. */
function topLevel(opener: TarMemberOpener, extension: string): string[] {
  return opener.members.filter((m) => m.type === 'file' && !m.name.includes('/') && m.name.toLowerCase().endsWith(extension)).map((m) => m.name);
}

/** The descriptor's manifest or certificate (DSP0243 §5.1, §5.2): the one of its base name, else the only one. */
function companion(opener: TarMemberOpener, ovfName: string, extension: string): string | undefined {
  const found = topLevel(opener, extension);
  const base = ovfName.slice(0, -'.ovf'.length);
  return found.find((m) => m.slice(0, -extension.length) === base) ?? (found.length === 1 ? found[0] : undefined);
}

/**
 * The chunk members of a File stored split. Chunks of a gzip'd File are slices of one gzip member
 * (ova-disk-opener.ts says why): one of another size may be a chunk gzip'd on its own, which the
 * error then names as a possible cause.
 */
function chunksOf(opener: TarMemberOpener, name: string, chunkSize: number, compression: string | undefined): string[] {
  try {
    return opener.joinChunks(name, chunkSize).map((c) => c.name);
  } catch (error) {
    if (compression !== 'gzip' || !(error instanceof GrtError) || error.code !== 'BAD_DESCRIPTOR' || error.expected !== chunkSize) throw error;
    const detail = `${error.message}; a gzip'd file is compressed whole and then split (DSP0243 §7.1), so only its last chunk may be shorter: chunks each gzip'd on their own are not read`;
    throw new GrtError('BAD_DESCRIPTOR', detail, { cause: error });
  }
}

async function readOvfText(opener: TarMemberOpener, name: string): Promise<string> {
  const member = opener.member(name);
  if (member.size > MAX_OVF_BYTES) throw new GrtError('LIMIT_EXCEEDED', `${name} of ${member.size} bytes is past the limit`, { structure: 'OVF descriptor', expected: MAX_OVF_BYTES, actual: member.size });
  const source = await opener.open(opener.locationOf(name));
  try {
    return new TextDecoder('utf-8').decode(await source.read(0, source.size));
  } finally {
    await source.close();
  }
}

/**
 * Open the .ova at `location` through `outer`: its member list, its descriptor, and each disk's
 * member checked to be a regular file of the archive. The caller opens the disks through
 * `opener` and then calls `opener.release()`.
 */
export async function openOva(outer: SourceOpener, location: string): Promise<OvaPackage> {
  const opener = await TarMemberOpener.open(outer, location);
  try {
    const descriptors = topLevel(opener, '.ovf');
    if (descriptors.length !== 1) {
      // A second descriptor is where the package goes wrong; none has no place to name.
      const second = descriptors.length > 1 ? opener.memberAt(opener.locationOf(descriptors[1]!)) : undefined;
      throw new GrtError('BAD_DESCRIPTOR', `the archive holds ${descriptors.length} .ovf descriptors at its top, not one`, { path: location, structure: 'OVA package', offset: second?.headerOffset, space: 'file' });
    }
    const ovfName = descriptors[0]!;
    const ovf = parseOvf(await readOvfText(opener, ovfName), opener.locationOf(ovfName));
    const { disks, empty } = diskFiles(ovf, opener.locationOf(ovfName));
    if (disks.length === 0) throw new GrtError('NOT_FOUND', `${ovfName} names no disk stored in the package`, { path: location });
    const warnings: GrtWarning[] = [];
    const found: OvaDisk[] = disks.map(({ disk, file }) => {
      const name = memberNameOf(file.href, opener.locationOf(ovfName));
      const chunks = file.chunkSize === undefined ? undefined : chunksOf(opener, name, file.chunkSize, file.compression);
      const size = opener.sizeOf(name);
      if (file.size !== undefined && file.size !== size) {
        warnings.push({ code: 'BAD_DESCRIPTOR', message: `${ovfName}: ${name} is ${size} bytes in the archive, the descriptor says ${file.size}` });
      }
      return { diskId: disk.diskId, member: name, location: opener.locationOf(name), ...(chunks ? { chunks } : {}), ...(disk.format === undefined ? {} : { format: disk.format }), ...(file.compression === 'gzip' ? { compression: 'gzip' as const } : {}) };
    });
    const manifest = companion(opener, ovfName, '.mf');
    const certificate = companion(opener, ovfName, '.cert');
    const diskOpener = new PackageDiskOpener(opener, new Set(found.filter((d) => d.compression === 'gzip').map((d) => d.location)));
    return { opener, diskOpener, ovf: ovfName, manifest, certificate, disks: found, empty, warnings, identity: opener.archiveIdentity };
  } catch (error) {
    await opener.release();
    throw error;
  }
}
