/**
 * Case-insensitive shell globs for catalog searches: `*` (any run within one path part), `?` (one
 * character), `**` (any number of path parts), `[abc]`, `[a-z]`, `[!x]`/`[^x]`, and `\` to quote
 * the next character. A glob without `/` matches names; one with `/` matches whole paths from the
 * volume root (a leading `/` is implied).
 */

export interface CompiledGlob {
  /** True when the glob is matched against whole paths rather than names. */
  matchesPath: boolean;
  test(value: string): boolean;
}

/** Every literal goes in as \u{…}, which means the same inside and outside a class with the u flag. */
function literal(ch: string): string {
  return `\\u{${ch.codePointAt(0)!.toString(16)}}`;
}

/** The character class starting at glob[i] === '[', or undefined when it is not closed. */
function parseClass(glob: string, i: number): { source: string; end: number } | undefined {
  let j = i + 1;
  let negate = false;
  if (glob[j] === '!' || glob[j] === '^') {
    negate = true;
    j++;
  }
  let body = '';
  let first = true;
  while (j < glob.length && (glob[j] !== ']' || first)) {
    first = false;
    let ch = String.fromCodePoint(glob.codePointAt(j)!);
    if (ch === '\\' && j + 1 < glob.length) {
      j++;
      ch = String.fromCodePoint(glob.codePointAt(j)!);
    }
    j += ch.length;
    if (glob[j] === '-' && j + 1 < glob.length && glob[j + 1] !== ']') {
      const to = String.fromCodePoint(glob.codePointAt(j + 1)!);
      // A reversed range matches nothing rather than throwing from the RegExp constructor.
      body += to.codePointAt(0)! >= ch.codePointAt(0)! ? `${literal(ch)}-${literal(to)}` : '';
      j += 1 + to.length;
    } else {
      body += literal(ch);
    }
  }
  if (j >= glob.length) return undefined;
  const source = negate ? `[^/${body}]` : body === '' ? '(?!)' : `[${body}]`;
  return { source, end: j + 1 };
}

export function compileGlob(glob: string): CompiledGlob {
  const matchesPath = glob.includes('/');
  const pattern = matchesPath && !glob.startsWith('/') && !glob.startsWith('**') ? `/${glob}` : glob;
  let source = '';
  for (let i = 0; i < pattern.length; ) {
    const ch = pattern[i]!;
    if (ch === '*' && pattern[i + 1] === '*') {
      i += 2;
      while (pattern[i] === '*') i++;
      if (pattern[i] === '/') {
        // "**/" also matches no directory at all: /**/x matches /x.
        source += '(?:[^]*/)?';
        i++;
      } else {
        source += '[^]*';
      }
    } else if (ch === '*') {
      source += '[^/]*';
      i++;
    } else if (ch === '?') {
      source += '[^/]';
      i++;
    } else if (ch === '[') {
      const cls = parseClass(pattern, i);
      if (cls) {
        source += cls.source;
        i = cls.end;
      } else {
        source += literal('[');
        i++;
      }
    } else {
      let c = ch;
      if (c === '\\' && i + 1 < pattern.length) i++;
      c = String.fromCodePoint(pattern.codePointAt(i)!);
      source += literal(c);
      i += c.length;
    }
  }
  const regex = new RegExp(`^${source}$`, 'iu');
  return { matchesPath, test: (value) => regex.test(value) };
}
