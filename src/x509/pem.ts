/** PEM blocks in a text: type, base64 body decoded, and the 1-based line where each begins. */
export interface PemBlock {
  type: string;
  /** Headers such as `Proc-Type: 4,ENCRYPTED` (legacy encrypted keys). */
  headers: string;
  der: Buffer;
  line: number;
  /** The block as text, BEGIN to END (for node:crypto's PEM key parser). */
  text: string;
}

const BEGIN = '-----BEGIN ';

export function findPemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  let from = 0;
  let line = 1;
  let lineCountedTo = 0;
  for (;;) {
    const begin = text.indexOf(BEGIN, from);
    if (begin < 0) break;
    const typeEnd = text.indexOf('-----', begin + BEGIN.length);
    if (typeEnd < 0) break;
    const type = text.slice(begin + BEGIN.length, typeEnd);
    const endMarker = `-----END ${type}-----`;
    const end = text.indexOf(endMarker, typeEnd + 5);
    if (end < 0) {
      blocks.push({ type, headers: '', der: Buffer.alloc(0), line: lineAt(begin), text: '' });
      break;
    }
    let body = text.slice(typeEnd + 5, end);
    let headers = '';
    const headerEnd = body.indexOf('\n\n');
    if (body.includes(':') && headerEnd >= 0) {
      headers = body.slice(0, headerEnd);
      body = body.slice(headerEnd + 2);
    }
    blocks.push({
      type,
      headers,
      der: Buffer.from(body, 'base64'),
      line: lineAt(begin),
      text: text.slice(begin, end + endMarker.length),
    });
    from = end + endMarker.length;
  }
  return blocks;

  function lineAt(offset: number): number {
    for (let i = lineCountedTo; i < offset; i++) if (text.charCodeAt(i) === 10) line++;
    lineCountedTo = offset;
    return line;
  }
}

export const certificatePemTypes = new Set(['CERTIFICATE', 'X509 CERTIFICATE', 'TRUSTED CERTIFICATE']);
export const privateKeyPemTypes = new Set([
  'PRIVATE KEY',
  'RSA PRIVATE KEY',
  'EC PRIVATE KEY',
  'ENCRYPTED PRIVATE KEY',
  'DSA PRIVATE KEY',
]);
