/**
 * `--security xattr`: a restored NTFS file or directory keeps its security descriptor (owner, group, DACL, SACL
 * as stored: the self-relative SECURITY_DESCRIPTOR of [MS-DTYP] 2.4.6) as the extended attribute
 * `user.ntfs_acl`. The value is byte for byte what ntfs-3g shows as `system.ntfs_acl`, so a later
 * copy onto an ntfs-3g mount can put it back by setting that attribute to it.
 *
 * Why `user.`: `system.ntfs_acl` exists only on ntfs-3g mounts, and `trusted.` needs root
 * (CAP_SYS_ADMIN); `user.` attributes can be set by the restoring user on ext4, XFS, btrfs and
 * tmpfs. The name is `ntfs_acl` after ntfs-3g's, so tools that know the one know the other.
 */
import { GrtError } from '../errors.js';
import type { FileEntry, FileSystem } from '../fs/file-system.js';

/** Restore's `security` option: keep descriptors as xattrs, or not (the default). */
export type SecurityMode = 'xattr' | 'skip';
/** The descriptor's xattr, as writeXattrs names them (it adds the `user.` namespace). */
export const SECURITY_XATTR = 'ntfs_acl';

/**
 * `xattrs` (the file's named streams as xattrs, or undefined) plus its descriptor under
 * SECURITY_XATTR when `mode` is 'xattr' and the file system keeps descriptors. A descriptor that
 * cannot be read is a warning of the file (`warn`), not a failure: its data still restores.
 * A named stream called `ntfs_acl` is overridden only in the xattr map, never on the image.
 */
export async function withSecurityXattr(
  mode: SecurityMode | undefined,
  fs: FileSystem,
  entry: FileEntry,
  xattrs: Map<string, Uint8Array> | undefined,
  warn: (path: string, error: GrtError) => void,
): Promise<Map<string, Uint8Array> | undefined> {
  if (mode !== 'xattr' || !fs.readSecurityDescriptor) return xattrs;
  let descriptor: Uint8Array | undefined;
  try {
    descriptor = await fs.readSecurityDescriptor(entry);
  } catch (error) {
    if (!(error instanceof GrtError)) throw error;
    warn(entry.path, new GrtError(error.code, `security descriptor not kept: ${error.message}`));
    return xattrs;
  }
  if (!descriptor) return xattrs;
  const out = new Map(xattrs);
  out.set(SECURITY_XATTR, descriptor);
  return out;
}
