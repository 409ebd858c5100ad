/**
 * RFC 4180 CSV: quote a cell when it holds a comma, quote or line break; CRLF line ends. Control
 * characters in a cell (a subject with ESC in it) are written as visible escapes, so a cell is
 * one line and `cat` of the file cannot drive the terminal.
 */
import { escapeControls } from './escape.js';

export function csvRow(cells: ReadonlyArray<string | number | boolean | undefined>): string {
  return cells.map((cell) => {
    const text = escapeControls(cell === undefined ? '' : String(cell));
    // A leading = + - @ would be a formula in a spreadsheet (CSV injection): neutralise it.
    const safe = /^[=+\-@]/.test(text) ? `'${text}` : text;
    return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
  }).join(',') + '\r\n';
}
