/** Text-like bytes (words from a small vocabulary, spaces, newlines) that DEFLATE compresses as it does real text. */
export function textLike(seed: number, length: number): Uint8Array {
  const words = ['extent', 'grain', 'sector', 'a', 'of', 'OVF', 'vmdk', '\n', 'backup', 'restore', '0000', 'ffff'];
  const out: string[] = [];
  let state = seed >>> 0 || 1;
  for (let size = 0; size < length; ) {
    state = (state * 1103515245 + 12345) >>> 0;
    const word = words[state % words.length]!;
    out.push(word, ' ');
    size += word.length + 1;
  }
  return new TextEncoder().encode(out.join('').slice(0, length));
}
