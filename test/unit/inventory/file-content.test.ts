import { createPrivateKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseFileContent } from '../../../src/inventory/sources/file-content.js';
import { chain, traditionalKeyPem } from '../../helpers/pki.js';

describe('parseFileContent', async () => {
  const { root, intermediate, leaf } = await chain({ commonName: 'www.a.test', sans: ['www.a.test'], key: 'rsa-2048' });

  it('reads a bundle with its key in the same file, in order', () => {
    const pem = leaf.certPem + intermediate.certPem + traditionalKeyPem(leaf);
    const r = parseFileContent('/x/combined.pem', Buffer.from(pem), []);
    expect(r.errors).toEqual([]);
    expect(r.certificates.map((c) => c.info.subject)).toEqual(['CN=www.a.test', 'CN=certfleet Test Intermediate']);
    expect(r.certificates.map((c) => c.entry)).toEqual(['0', '1']);
    expect(r.keys).toHaveLength(1);
    expect(r.keys[0]!.format).toBe('pkcs1');
    expect(r.keys[0]!.publicKeyFingerprintSha256).toBe(r.certificates[0]!.info.publicKeyFingerprintSha256);
  });

  it('reads DER certificates and DER keys', () => {
    expect(parseFileContent('/x/root.cer', Buffer.from(root.der), []).certificates[0]!.format).toBe('der');
    const keyDer = createPrivateKey(leaf.keyPem).export({ type: 'pkcs8', format: 'der' });
    const r = parseFileContent('/x/leaf.der', keyDer, []);
    expect(r.keys[0]!.publicKeyFingerprintSha256).toBe(parseFileContent('/y', Buffer.from(leaf.certPem), []).certificates[0]!.info.publicKeyFingerprintSha256);
  });

  it('notes an encrypted key, and opens it when given its password', () => {
    const encrypted = createPrivateKey(leaf.keyPem).export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 's3cret' }) as string;
    const closed = parseFileContent('/x/k.pem', Buffer.from(encrypted), ['wrong']);
    expect(closed.keys[0]).toMatchObject({ encrypted: true, keyType: 'unknown' });
    expect(closed.keys[0]!.publicKeyFingerprintSha256).toBeUndefined();
    const opened = parseFileContent('/x/k.pem', Buffer.from(encrypted), ['wrong', 's3cret']);
    expect(opened.keys[0]).toMatchObject({ encrypted: true, keyType: 'RSA', keyBits: 2048 });
  });

  it('says what is wrong with bad input, and where', () => {
    expect(parseFileContent('/x/a.pem', Buffer.from('hello'), []).errors).toEqual(['not a certificate: text with no PEM block in it']);
    expect(parseFileContent('/x/a.pem', Buffer.from([0x01, 0x02, 0x00]), []).errors).toEqual(['not a certificate: garbage at byte 0']);
    expect(parseFileContent('/x/a.pem', Buffer.alloc(0), []).errors).toEqual(['empty file']);
    const corrupt = leaf.certPem.replace(/\n[A-Za-z0-9+/]{10}/, '\n!!!!!!!!!!');
    expect(parseFileContent('/x/a.pem', Buffer.from('intro\n' + corrupt), []).errors[0]).toMatch(/^corrupt certificate in PEM block at line 2: /);
    const truncated = leaf.certPem.slice(0, 200);
    expect(parseFileContent('/x/a.pem', Buffer.from(truncated), []).errors[0]).toMatch(/truncated PEM.*line 1 has no END line/);
    expect(parseFileContent('/x/a.der', Buffer.from([0x30, 0x03, 1, 2, 3]), []).errors[0]).toMatch(/^not a certificate: DER data/);
  });

  it('never puts key material into results', () => {
    const r = parseFileContent('/x/k.pem', Buffer.from(leaf.keyPem), []);
    const body = leaf.keyPem.split('\n')[1]!;
    expect(JSON.stringify(r)).not.toContain(body.slice(0, 20));
  });
});
