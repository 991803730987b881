/**
 * An OVF descriptor (.ovf): which files hold the VM's disks, in the order the descriptor lists them.
 *
 * Source: DMTF DSP0243 "Open Virtualization Format Specification" 1.1/2.x — §7.1 References (each
 * `File` with `ovf:id`, `ovf:href`, optional `ovf:size`, `ovf:compression`, `ovf:chunkSize`) and
 * §9.1 DiskSection (each `Disk` with `ovf:diskId`, `ovf:capacity`, optional `ovf:fileRef` naming a
 * File; a Disk without one is an empty disk created at import, so it holds nothing to read). The
 * OVF namespace is `http://schemas.dmtf.org/ovf/envelope/1` (2 for OVF 2.x).
 *
 * Order: the DiskSection's. It is the order ovftool and VirtualBox write the disks in, and the
 * order of their `ovf:/disk/ID` host resources in the hardware section; disk 1 is its first.
 */
import { GrtError } from '../errors.js';
import { walkXml, type XmlElement } from './xml.js';

/** Largest descriptor read: ovftool's run to a few tens of KiB. */
export const MAX_OVF_BYTES = 4 * 1024 * 1024;
/** Files one descriptor may list: a VM with dozens of disks has dozens. */
export const MAX_OVF_FILES = 1024;
/** Disks one descriptor may list (vSphere's limit per VM is 256 with NVMe). */
export const MAX_OVF_DISKS = 256;

const OVF_NAMESPACE = /^http:\/\/schemas\.dmtf\.org\/ovf\/envelope\/[12]$/;
const STRUCTURE = 'OVF descriptor';

export interface OvfFile {
  id: string;
  href: string;
  /** Bytes, when given. */
  size?: number;
  /** `gzip` when the file is stored gzip-compressed as a whole (RFC 1952; read in place by GzipSource). */
  compression?: string;
  /** Set when the file is stored split in chunks (`href.000000000`, …). */
  chunkSize?: number;
}

export interface OvfDisk {
  diskId: string;
  fileRef?: string;
  /** `ovf:format`: which disk format (VMware's vmdk.html#streamOptimized). */
  format?: string;
}

export interface OvfDescriptor {
  files: OvfFile[];
  disks: OvfDisk[];
}

/** A disk and the file that holds it. */
export interface OvfDiskFile {
  disk: OvfDisk;
  file: OvfFile;
}

function bad(detail: string, path: string | undefined): GrtError {
  return new GrtError('BAD_DESCRIPTOR', detail, { structure: STRUCTURE, ...(path === undefined ? {} : { path }) });
}

/** An attribute in the OVF namespace (`ovf:href`); unprefixed as hand-written files have it, else. */
function ovfAttribute(element: XmlElement, local: string): string | undefined {
  const inOvf = element.attributes.find((a) => a.local === local && a.namespace !== undefined && OVF_NAMESPACE.test(a.namespace));
  return (inOvf ?? element.attributes.find((a) => a.local === local && a.namespace === undefined))?.value;
}

function count(element: XmlElement, local: string, path: string | undefined): number | undefined {
  const text = ovfAttribute(element, local);
  if (text === undefined) return undefined;
  if (!/^[0-9]{1,16}$/.test(text) || !Number.isSafeInteger(Number(text))) throw bad(`ovf:${local} ${JSON.stringify(text)} is not a byte count`, path);
  return Number(text);
}

function required(element: XmlElement, local: string, path: string | undefined): string {
  const value = ovfAttribute(element, local);
  if (value === undefined || value === '') throw bad(`<${element.local}> without ovf:${local}`, path);
  return value;
}

/** The References files and DiskSection disks of an OVF descriptor's text. */
export function parseOvf(text: string, path?: string): OvfDescriptor {
  if (text.length > MAX_OVF_BYTES) throw new GrtError('LIMIT_EXCEEDED', `descriptor of ${text.length} characters is past the limit`, { structure: STRUCTURE, expected: MAX_OVF_BYTES, actual: text.length, ...(path === undefined ? {} : { path }) });
  const files: OvfFile[] = [];
  const disks: OvfDisk[] = [];
  let root: string | undefined;
  walkXml(
    text,
    (element, ancestors) => {
      root ??= element.local;
      const parent = ancestors[ancestors.length - 1]?.local;
      if (element.local === 'File' && parent === 'References') {
        if (files.length >= MAX_OVF_FILES) throw new GrtError('LIMIT_EXCEEDED', `more than ${MAX_OVF_FILES} files`, { structure: STRUCTURE });
        const file: OvfFile = { id: required(element, 'id', path), href: required(element, 'href', path) };
        const size = count(element, 'size', path);
        const chunkSize = count(element, 'chunkSize', path);
        const compression = ovfAttribute(element, 'compression');
        if (size !== undefined) file.size = size;
        if (chunkSize !== undefined) file.chunkSize = chunkSize;
        if (compression !== undefined && compression !== 'identity') file.compression = compression;
        files.push(file);
      } else if (element.local === 'Disk' && parent === 'DiskSection') {
        if (disks.length >= MAX_OVF_DISKS) throw new GrtError('LIMIT_EXCEEDED', `more than ${MAX_OVF_DISKS} disks`, { structure: STRUCTURE });
        const disk: OvfDisk = { diskId: required(element, 'diskId', path) };
        const fileRef = ovfAttribute(element, 'fileRef');
        const format = ovfAttribute(element, 'format');
        if (fileRef !== undefined) disk.fileRef = fileRef;
        if (format !== undefined) disk.format = format;
        disks.push(disk);
      }
    },
    path,
  );
  if (root !== 'Envelope') throw bad(`the root element is <${root}>, not <Envelope>`, path);
  return { files, disks };
}

/**
 * Each disk that has a file, with that file, in the DiskSection's order. A reference to no File,
 * two Files of one id, two disks of one id or on one file are damage. A file stored gzip'd is
 * decompressed in place by the package reader, as is one stored in chunks joined; DSP0243 §7.1
 * defines no compression but gzip, so another is UNSUPPORTED.
 */
export function diskFiles(ovf: OvfDescriptor, path?: string): { disks: OvfDiskFile[]; empty: OvfDisk[] } {
  const byId = new Map<string, OvfFile>();
  for (const file of ovf.files) {
    if (byId.has(file.id)) throw bad(`two References files have ovf:id ${JSON.stringify(file.id)}`, path);
    byId.set(file.id, file);
  }
  const diskIds = new Set<string>();
  const used = new Set<string>();
  const disks: OvfDiskFile[] = [];
  const empty: OvfDisk[] = [];
  for (const disk of ovf.disks) {
    if (diskIds.has(disk.diskId)) throw bad(`two disks have ovf:diskId ${JSON.stringify(disk.diskId)}`, path);
    diskIds.add(disk.diskId);
    if (disk.fileRef === undefined) {
      empty.push(disk);
      continue;
    }
    const file = byId.get(disk.fileRef);
    if (!file) throw bad(`disk ${JSON.stringify(disk.diskId)} names file ${JSON.stringify(disk.fileRef)}, which References does not list`, path);
    if (used.has(file.id)) throw bad(`two disks are stored in file ${JSON.stringify(file.id)}`, path);
    used.add(file.id);
    if (file.compression !== undefined && file.compression !== 'gzip') throw new GrtError('UNSUPPORTED', `disk ${JSON.stringify(disk.diskId)}: ${file.href} is stored ${JSON.stringify(file.compression)}-compressed; the OVF format defines only gzip`, { structure: STRUCTURE });
    disks.push({ disk, file });
  }
  return { disks, empty };
}

/**
 * The archive member an href names. Only a relative name inside the package is a member: a URL
 * (`http:`, `file:`), an absolute path or one with `..` would name something outside the .ova.
 */
export function memberNameOf(href: string, path?: string): string {
  let name: string;
  try {
    name = decodeURIComponent(href);
  } catch {
    name = href;
  }
  const where = { structure: STRUCTURE, ...(path === undefined ? {} : { path }) };
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(name) || name.startsWith('/') || name.startsWith('\\') || name.includes('\0')) {
    throw new GrtError('UNSAFE_PATH', `href ${JSON.stringify(href)} is not a file of the package: only members of the .ova are read`, where);
  }
  const parts = name.split(/[\\/]/);
  if (parts.includes('..')) throw new GrtError('UNSAFE_PATH', `href ${JSON.stringify(href)} climbs out of the package`, where);
  return parts.filter((p) => p !== '' && p !== '.').join('/');
}
