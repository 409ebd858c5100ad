/**
 * Text that a certificate, a server or a file name controls (subjects, issuers, names, paths,
 * error messages from a CA) reaches terminals and text files only through these. A subject with
 * ESC or BEL in it could otherwise recolour, retitle or rewrite the terminal of whoever reads the
 * table, or `cat`s the CSV. C0 controls, DEL and the C1 range (which some terminals also obey)
 * become visible escapes: \x1b, \x9b, and \n, \r, \t for the common three.
 */

// Matching control characters is the point of these two patterns.
// eslint-disable-next-line no-control-regex
const ALL_CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g;
// eslint-disable-next-line no-control-regex
const CONTROLS_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function visible(ch: string): string {
  return NAMED[ch] ?? `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`;
}

/** One line of text (a table cell, a CSV field, a log line): every control character escaped. */
export function escapeControls(text: string): string {
  return text.replace(ALL_CONTROLS, visible);
}

/** Text whose line breaks are its own (an error message, a hint): line feeds kept, every other control escaped. */
export function escapeControlsKeepLines(text: string): string {
  return text.replace(CONTROLS_BUT_NEWLINE, visible);
}

/**
 * JSON text with DEL and the C1 range written as \u escapes. JSON.stringify escapes C0 controls
 * already but writes U+007F-U+009F raw; in JSON text those can only stand inside a string, so
 * the \u form means exactly the same document.
 */
export function escapeJsonControls(json: string): string {
  return json.replace(/[\u007f-\u009f]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** escapeJsonControls over a document written in pieces. */
export function* escapeJsonChunks(chunks: Iterable<string>): Iterable<string> {
  for (const chunk of chunks) yield escapeJsonControls(chunk);
}
