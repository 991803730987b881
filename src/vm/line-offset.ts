/**
 * Where a line of a text file starts, in bytes of the file: for the errors of the line-based VM
 * files (.vmx, OVF manifest), whose parsers see the decoded text. UTF-8, as those files are read;
 * a byte-order mark the decoder dropped is not counted.
 */
const ENCODER = new TextEncoder();

/** Byte offset of line `lineIndex` (0-based) of `text`, lines split by the global regex `breaks`. */
export function lineByteOffset(text: string, lineIndex: number, breaks: RegExp): number {
  const finder = new RegExp(breaks.source, 'g');
  let start = 0;
  for (let i = 0; i < lineIndex; i++) {
    const found = finder.exec(text);
    if (!found) break;
    start = found.index + found[0].length;
  }
  return textByteOffset(text, start);
}

/** Byte offset of the UTF-16 index `at` of `text`, as the file's UTF-8 bytes count. */
export function textByteOffset(text: string, at: number): number {
  return ENCODER.encode(text.slice(0, at)).length;
}
