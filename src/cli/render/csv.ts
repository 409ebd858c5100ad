/** RFC 4180 CSV: quote a cell when it holds a comma, quote or line break; CRLF line ends. */
export function csvRow(cells: ReadonlyArray<string | number | boolean | undefined>): string {
  return cells.map((cell) => {
    const text = cell === undefined ? '' : String(cell);
    // A leading = + - @ would be a formula in a spreadsheet (CSV injection): neutralise it.
    const safe = /^[=+\-@]/.test(text) ? `'${text}` : text;
    return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
  }).join(',') + '\r\n';
}
