/**
 * HAProxy's word splitting (configuration manual, "Quoting and escaping"): blanks separate words,
 * `#` starts a comment, backslash escapes, `"..."` weak quoting (where `$VAR` / `${VAR}` name
 * environment variables), `'...'` strong quoting. Quotes may sit inside a word (`a"b c"d`).
 */

export interface HaproxyWord {
  value: string;
  /** It names an environment variable HAProxy fills in at start-up; the reader cannot. */
  hasVariable: boolean;
}

export interface HaproxyLineWords {
  words: HaproxyWord[];
  /** Set when a quote is not closed by the end of the line. */
  error?: string;
}

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t' };

export function haproxyWords(line: string): HaproxyLineWords {
  const words: HaproxyWord[] = [];
  let value = '';
  let inWord = false;
  let hasVariable = false;
  let quote: '"' | "'" | undefined;
  const endWord = (): void => {
    if (inWord) words.push({ value, hasVariable });
    value = '';
    inWord = false;
    hasVariable = false;
  };
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote === "'") {
      if (ch === "'") quote = undefined;
      else value += ch;
      continue;
    }
    if (ch === '\\' && i + 1 < line.length) {
      const next = line[++i]!;
      if (next === 'x' && /^[0-9a-fA-F]{2}$/.test(line.slice(i + 1, i + 3))) {
        value += String.fromCharCode(parseInt(line.slice(i + 1, i + 3), 16));
        i += 2;
      } else {
        value += ESCAPES[next] ?? next;
      }
      inWord = true;
      continue;
    }
    if (quote === '"') {
      if (ch === '"') quote = undefined;
      else {
        if (ch === '$') hasVariable = true;
        value += ch;
      }
      continue;
    }
    if (ch === '#') break;
    if (ch === ' ' || ch === '\t' || ch === '\r') {
      endWord();
      continue;
    }
    if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
      continue;
    }
    // Older HAProxy versions expanded `${VAR}` outside quotes too; either way it is not a literal path.
    if (ch === '$' && line[i + 1] === '{') hasVariable = true;
    value += ch;
    inWord = true;
  }
  if (quote) {
    endWord();
    return { words, error: `unterminated ${quote === '"' ? 'double' : 'single'}-quoted string` };
  }
  endWord();
  return { words };
}
