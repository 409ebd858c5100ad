/**
 * Apache httpd's config syntax, as ap_cfg_getline and ap_getword_conf read it: one directive per
 * logical line (a trailing `\` joins the next line), `#` comments on lines of their own, words
 * split on blanks with `"..."` / `'...'` quoting, and `${NAME}` replaced by what `Define` set.
 */

export interface ApacheLine {
  text: string;
  /** 1-based line where the logical line starts. */
  line: number;
}

/** Logical lines of a file, comments and blank lines dropped. */
export function apacheLines(text: string): ApacheLine[] {
  const physical = text.split('\n');
  const out: ApacheLine[] = [];
  let pending = '';
  let startLine = 0;
  physical.forEach((raw, index) => {
    const lineText = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (pending === '') startLine = index + 1;
    if (lineText.endsWith('\\')) {
      pending += lineText.slice(0, -1);
      return;
    }
    const joined = (pending + lineText).trim();
    pending = '';
    if (joined !== '' && !joined.startsWith('#')) out.push({ text: joined, line: startLine });
  });
  const last = pending.trim();
  if (last !== '' && !last.startsWith('#')) out.push({ text: last, line: startLine });
  return out;
}

/** Replace `${NAME}` with its Define'd value; names not defined are left as written and listed. */
export function substituteDefines(text: string, defines: ReadonlyMap<string, string>): { text: string; undefinedNames: string[] } {
  const undefinedNames: string[] = [];
  const replaced = text.replace(/\$\{([A-Za-z0-9_.:-]+)\}/g, (whole, name: string) => {
    const value = defines.get(name);
    if (value !== undefined) return value;
    if (!undefinedNames.includes(name)) undefinedNames.push(name);
    return whole;
  });
  return { text: replaced, undefinedNames };
}

/** Words of a directive line. An unterminated quote runs to the end of the line and is reported. */
export function apacheWords(text: string): { words: string[]; unterminatedQuote: boolean } {
  const words: string[] = [];
  let i = 0;
  let unterminatedQuote = false;
  while (i < text.length) {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t')) i++;
    if (i >= text.length) break;
    const quote = text[i];
    if (quote === '"' || quote === "'") {
      let word = '';
      i++;
      let closed = false;
      while (i < text.length) {
        const ch = text[i]!;
        // Inside quotes ap_getword_conf only unescapes the quote character itself.
        if (ch === '\\' && text[i + 1] === quote) {
          word += quote;
          i += 2;
          continue;
        }
        if (ch === quote) {
          closed = true;
          i++;
          break;
        }
        word += ch;
        i++;
      }
      if (!closed) unterminatedQuote = true;
      words.push(word);
    } else {
      let end = i;
      while (end < text.length && text[end] !== ' ' && text[end] !== '\t') end++;
      words.push(text.slice(i, end));
      i = end;
    }
  }
  return { words, unterminatedQuote };
}
