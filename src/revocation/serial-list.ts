/**
 * The serial numbers a CA's incident notice lists, as a file: one a line, the first field of each
 * (so a CSV export works as is). Blank lines and `#` comments are skipped, as is a first line that
 * is not a serial (a CSV header). Any other line that is not a hex serial is an error naming the
 * line: in an incident a silently dropped serial is a certificate nobody replaces.
 */
import { UsageError } from '../errors.js';

const SERIAL = /^(?:0x)?[0-9a-f]{1,2}(?::?[0-9a-f]{2})*$|^(?:0x)?[0-9a-f]+$/i;

export function parseSerialList(text: string, source: string): string[] {
  const serials: string[] = [];
  let firstField = true;
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const field = line.split(/[\s,;]+/)[0]!.replace(/^"|"$/g, '');
    const isFirst = firstField;
    firstField = false;
    if (SERIAL.test(field)) {
      serials.push(field.replace(/^0x/i, ''));
    } else if (!isFirst) {
      throw new UsageError(`${source}:${index + 1}: "${field}" is not a serial number (hex, colons allowed)`);
    }
  }
  if (serials.length === 0) throw new UsageError(`${source} lists no serial numbers`);
  return serials;
}
