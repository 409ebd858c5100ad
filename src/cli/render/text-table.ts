/**
 * A boxed terminal table with fixed column widths, word-wrapped cells and one border line between
 * rows: the look of cli-table3, at the cost of the data. cli-table3 measures every word of every
 * cell with ANSI codes stripped and a Unicode width scan (3-12 s for a 500-row inventory table);
 * here a cell is plain text plus how to paint it, so widths are measured once on plain text (a
 * length for printable ASCII, the common case) and colour is added after wrapping and padding.
 */

/** One line of a cell as given (it may wrap): text whose controls are already escaped, and its colour. */
export interface CellLine {
  text: string;
  paint?: (text: string) => string;
}

export type Cell = CellLine[];

const border = {
  top: ['┌', '┬', '┐'],
  mid: ['├', '┼', '┤'],
  bottom: ['└', '┴', '┘'],
} as const;

/**
 * `widths` are whole column widths, one space of padding on each side included. A word wider
 * than its column is cut with `…`; the table's own text never reaches past a border.
 */
export function boxTable(head: Cell[], rows: Iterable<Cell[]>, widths: number[]): string {
  const rule = (ends: readonly [string, string, string]) => ends[0] + widths.map((w) => '─'.repeat(w)).join(ends[1]) + ends[2];
  const out = [rule(border.top), ...rowLines(head, widths), rule(border.mid)];
  let first = true;
  for (const row of rows) {
    if (!first) out.push(rule(border.mid));
    first = false;
    out.push(...rowLines(row, widths));
  }
  out.push(rule(border.bottom));
  return out.join('\n');
}

function rowLines(cells: Cell[], widths: number[]): string[] {
  const columns = widths.map((w, i) => layoutCell(cells[i] ?? [], w - 2));
  const height = Math.max(1, ...columns.map((c) => c.length));
  const lines: string[] = [];
  for (let y = 0; y < height; y++) {
    let line = '│';
    for (let x = 0; x < widths.length; x++) line += ` ${columns[x]![y] ?? ' '.repeat(widths[x]! - 2)} │`;
    lines.push(line);
  }
  return lines;
}

/** The cell's lines wrapped, cut, padded to `width` and painted. */
function layoutCell(cell: Cell, width: number): string[] {
  const out: string[] = [];
  for (const { text, paint } of cell) {
    for (const piece of wrap(text, width)) {
      const fitted = fit(piece, width);
      const pad = ' '.repeat(width - fitted.width);
      out.push((paint && fitted.text ? paint(fitted.text) : fitted.text) + pad);
    }
  }
  return out;
}

/** Greedy word wrap: words keep the spaces between them; a line break takes the place of one run of spaces. */
export function wrap(text: string, width: number): string[] {
  if (displayWidth(text) <= width) return [text];
  const parts = text.split(/(\s+)/);
  const lines: string[] = [];
  let line = '';
  let lineWidth = 0;
  for (let i = 0; i < parts.length; i += 2) {
    const word = parts[i]!;
    const space = i > 0 ? parts[i - 1]! : '';
    const wordWidth = displayWidth(word);
    const spaceWidth = displayWidth(space);
    if (lineWidth > 0 && lineWidth + spaceWidth + wordWidth <= width) {
      line += space + word;
      lineWidth += spaceWidth + wordWidth;
    } else {
      if (lineWidth > 0) lines.push(line);
      line = word;
      lineWidth = wordWidth;
    }
  }
  if (lineWidth > 0) lines.push(line);
  return lines;
}

/** The text cut to `width` columns, with `…` where it was cut. */
export function fit(text: string, width: number): { text: string; width: number } {
  const full = displayWidth(text);
  if (full <= width) return { text, width: full };
  let kept = '';
  let used = 0;
  for (const ch of text) {
    const w = charWidth(ch);
    if (used + w > width - 1) break;
    kept += ch;
    used += w;
  }
  return { text: `${kept}…`, width: used + 1 };
}

const PRINTABLE_ASCII = /^[\u0020-\u007e]*$/;
/** Combining marks, format characters (ZWJ, soft hyphen) and controls take no column of their own. */
const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}\p{Cc}]$/u;
const EMOJI = /^\p{Emoji_Presentation}$/u;

/** Terminal columns the text takes (East Asian wide and emoji 2, combining marks 0). */
export function displayWidth(text: string): number {
  if (PRINTABLE_ASCII.test(text)) return text.length;
  let width = 0;
  for (const ch of text) width += charWidth(ch);
  return width;
}

function charWidth(ch: string): number {
  const cp = ch.codePointAt(0)!;
  if (cp >= 0x20 && cp < 0x7f) return 1;
  if (ZERO_WIDTH.test(ch)) return 0;
  return isWide(cp) || EMOJI.test(ch) ? 2 : 1;
}

/** East Asian Wide and Fullwidth ranges (the table cli-table3's string-width uses). */
function isWide(cp: number): boolean {
  return (
    cp >= 0x1100 &&
    (cp <= 0x115f ||
      cp === 0x2329 ||
      cp === 0x232a ||
      (cp >= 0x2e80 && cp <= 0x3247 && cp !== 0x303f) ||
      (cp >= 0x3250 && cp <= 0x4dbf) ||
      (cp >= 0x4e00 && cp <= 0xa4c6) ||
      (cp >= 0xa960 && cp <= 0xa97c) ||
      (cp >= 0xac00 && cp <= 0xd7a3) ||
      (cp >= 0xf900 && cp <= 0xfaff) ||
      (cp >= 0xfe10 && cp <= 0xfe19) ||
      (cp >= 0xfe30 && cp <= 0xfe6b) ||
      (cp >= 0xff01 && cp <= 0xff60) ||
      (cp >= 0xffe0 && cp <= 0xffe6) ||
      (cp >= 0x1b000 && cp <= 0x1b001) ||
      (cp >= 0x1f200 && cp <= 0x1f251) ||
      (cp >= 0x20000 && cp <= 0x3fffd))
  );
}
