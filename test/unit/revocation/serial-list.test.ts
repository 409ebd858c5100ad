import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { parseSerialList } from '../../../src/revocation/serial-list.js';

describe('parseSerialList', () => {
  it('takes the first field of each line, skipping blanks, comments and a CSV header', () => {
    const text = 'serial,commonName,notAfter\n\n# affected\n0A:1B:2C,www.example.com,2027-01-01\n"8fab01";api\r\n0x7f  # trailing comment\n';
    expect(parseSerialList(text, 'notice.csv')).toEqual(['0A:1B:2C', '8fab01', '7f']);
  });

  it('names the file and line of anything else that is not a serial', () => {
    const err = (() => {
      try {
        parseSerialList('8fab01\nwww.example.com\n', 'notice.txt');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe('notice.txt:2: "www.example.com" is not a serial number (hex, colons allowed)');
  });

  it('a file without any serial is an error, not an empty selection', () => {
    expect(() => parseSerialList('serial\n# none yet\n', 'empty.csv')).toThrow('empty.csv lists no serial numbers');
  });
});
