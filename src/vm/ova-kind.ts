/**
 * Telling an .ova by its name or its first bytes, apart from reading one (ova.ts): every command
 * asks, few open an .ova, so the tar, OVF and XML readers load only for those.
 */
import { firstTarName, isTarHeader } from '../io/sources/tar.js';

/** Whether a location's name says .ova. */
export function isOvaName(location: string): boolean {
  return /\.ova$/i.test(location.replace(/[?#].*$/, ''));
}

/** Whether an archive's first bytes are a tar header for an .ovf: an .ova whatever its name. */
export function looksLikeOva(head: Uint8Array): boolean {
  return isTarHeader(head) && /\.ovf$/i.test(firstTarName(head));
}
