/**
 * Candidate passwords for a PKCS#12 file, in the encodings its schemes need (the MAC and PKCS#12 PBE
 * hash a BMPString, PBES2 hashes UTF-8), and the order to try them in. Kept apart from the schemes
 * so that the MAC check, the decryption and the bag walk all share one notion of "a password".
 */

/**
 * One candidate password in the encodings the schemes use. OpenSSL writes an empty password as
 * the two-byte BMP terminator, but some tools (and OpenSSL itself for a NULL password) use no bytes
 * at all, so "" has two variants.
 */
export interface Password {
  text: string;
  /** BMPString with its 00 00 terminator (RFC 7292 B.1), or no bytes for the "absent" variant. */
  bmp: Buffer;
  utf8: Buffer;
}

export function passwordVariants(text: string): Password[] {
  const utf8 = Buffer.from(text, 'utf8');
  const withTerminator: Password = { text, bmp: bmpBytes(text), utf8 };
  return text === '' ? [withTerminator, { text, bmp: Buffer.alloc(0), utf8 }] : [withTerminator];
}

function bmpBytes(text: string): Buffer {
  const out = Buffer.alloc(text.length * 2 + 2);
  for (let i = 0; i < text.length; i++) out.writeUInt16BE(text.charCodeAt(i), i * 2);
  return out;
}

/**
 * The candidates in the order to try them: whatever opened something last goes first, so a file
 * with one password costs one attempt per encrypted part, and `-twopass` files (MAC and
 * encryption passwords differ) still open when both passwords are configured.
 */
export class Keyring {
  private order: Password[];
  readonly triedCount: number;
  /** Whether any encrypted part was met, and whether any password decrypted one. */
  sawEncrypted = false;
  opened = false;

  constructor(texts: readonly string[]) {
    this.order = texts.flatMap(passwordVariants);
    this.triedCount = texts.length;
  }

  prefer(password: Password): void {
    this.order = [password, ...this.order.filter((p) => p !== password && !(p.text === password.text && p.bmp.equals(password.bmp)))];
  }

  /** Run `attempt` with each password until one returns a value; undefined when none does. */
  tryEach<T>(attempt: (password: Password) => T | undefined): T | undefined {
    this.sawEncrypted = true;
    for (const password of this.order) {
      const result = attempt(password);
      if (result !== undefined) {
        this.opened = true;
        this.prefer(password);
        return result;
      }
    }
    return undefined;
  }
}
