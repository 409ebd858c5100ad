/**
 * Files that merely are not certificates are passed over quietly in a directory walk, whatever
 * their names promise (BIND's rndc.key, PostgreSQL's placeholder root.crt, a MIME database that
 * mentions "-----BEGIN CERTIFICATE-----"); a file whose content promises a certificate and fails
 * is still an error, and so is any of them when named on purpose.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { InventoryError } from '../../../src/inventory/model.js';
import { parseFileContent, type FileReadResult } from '../../../src/inventory/sources/file-content.js';
import { runFileStage } from '../../../src/inventory/sources/file-stage.js';
import { issue, tempDir, writeFile } from '../../helpers/pki.js';

const rndcKey = 'key "rndc-key" {\n\talgorithm hmac-sha256;\n\tsecret "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI=";\n};\n';
const placeholder = 'This is a dummy root certificate file for PostgreSQL. To enable client side\nauthentication, add some certificates to it.\n';
const mimeXml = [
  '<?xml version="1.0" encoding="UTF-8"?>',
  '<mime-info xmlns="http://www.freedesktop.org/standards/shared-mime-info">',
  '  <mime-type type="application/pgp-encrypted">',
  '    <magic priority="50"><match type="string" value="-----BEGIN PGP MESSAGE-----" offset="0"/></magic>',
  '  </mime-type>',
  '  <mime-type type="application/pkix-cert+pem">',
  '    <magic priority="50"><match type="string" value="-----BEGIN CERTIFICATE-----" offset="0"/></magic>',
  '  </mime-type>',
  '</mime-info>',
  '',
].join('\n');

async function walk(paths: string[], extraFiles: string[] = []) {
  const results: FileReadResult[] = [];
  const errors: InventoryError[] = [];
  await runFileStage({ paths, extraFiles, exclude: [], passwords: [], workers: 0, onResult: (r) => results.push(r), onError: (e) => errors.push(e) });
  return { results, errors: [...errors, ...results.flatMap((r) => r.errors.map((message) => ({ source: r.path, message })))] };
}

describe('parseFileContent on files that are not certificates', async () => {
  const cert = await issue({ commonName: 'www.a.test', sans: ['www.a.test'] });

  it('calls text with no PEM block foreign', () => {
    for (const text of [rndcKey, placeholder, '0 3 * * * root /usr/local/bin/renew\n']) {
      const r = parseFileContent('/etc/x/file.crt', Buffer.from(text), []);
      expect(r).toMatchObject({ unrecognised: true, foreign: true, certificates: [], keys: [] });
      expect(r.errors).toEqual(['not a certificate: text with no PEM block in it']);
    }
  });

  it('does not call binary garbage or DER foreign', () => {
    expect(parseFileContent('/x/a.crt', Buffer.from([0x01, 0x02, 0x03, 0x00]), []).foreign).toBeUndefined();
    expect(parseFileContent('/x/a.der', Buffer.from([0x30, 0x03, 0x02, 0x01, 0x00]), []).foreign).toBeUndefined();
    expect(parseFileContent('/x/a.der', Buffer.from(cert.der), []).certificates).toHaveLength(1);
  });

  it('ignores a BEGIN that does not start a line, and a truncated block that is not a certificate or key', () => {
    const mime = parseFileContent('/usr/share/mime/mime.xml', Buffer.from(mimeXml), []);
    expect(mime).toMatchObject({ errors: [], certificates: [], keys: [], unrecognised: true });
    const pgp = parseFileContent('/x/note.asc', Buffer.from('-----BEGIN PGP MESSAGE-----\nhQEMA...\n'), []);
    expect(pgp.errors).toEqual([]);
    const json = parseFileContent('/x/app.json', Buffer.from(JSON.stringify({ cert: cert.certPem })), []);
    expect(json.errors).toEqual([]);
  });

  it('still reads an indented PEM block, and still says a truncated certificate is one', () => {
    const yaml = 'tls:\n  cert: |\n' + cert.certPem.split('\n').map((l) => `    ${l}`).join('\n');
    expect(parseFileContent('/x/values.yaml', Buffer.from(yaml), []).certificates).toHaveLength(1);
    const truncated = parseFileContent('/x/site.crt', Buffer.from(cert.certPem.slice(0, 200)), []);
    expect(truncated.errors[0]).toMatch(/^truncated PEM: "-----BEGIN CERTIFICATE-----" at line 1 has no END line/);
  });
});

describe('a directory walk over files that are not certificates', async () => {
  const cert = await issue({ commonName: 'www.a.test', sans: ['www.a.test'] });

  it('passes over them quietly, and reports only what promises a certificate and fails', async () => {
    const dir = tempDir();
    writeFile(join(dir, 'bind/rndc.key'), rndcKey, 0o640);
    writeFile(join(dir, 'postgresql-common/root.crt'), placeholder);
    writeFile(join(dir, 'mime/mime.xml'), mimeXml);
    writeFile(join(dir, 'ok/site.crt'), cert.certPem);
    writeFile(join(dir, 'broken/site.crt'), cert.certPem.slice(0, 300));
    writeFile(join(dir, 'broken/site.der'), Buffer.from([0x30, 0x82, 0x01, 0x00, 0x02, 0x01]));
    const { results, errors } = await walk([dir]);
    expect(results.flatMap((r) => r.certificates).map((c) => c.info.subject)).toEqual(['CN=www.a.test']);
    expect(errors.map((e) => e.source.slice(dir.length)).sort()).toEqual(['/broken/site.crt', '/broken/site.der']);
  });

  it('reports them when they are named on purpose', async () => {
    const dir = tempDir();
    const key = writeFile(join(dir, 'rndc.key'), rndcKey);
    const { errors } = await walk([], [key]);
    expect(errors).toEqual([{ source: key, message: 'not a certificate: text with no PEM block in it' }]);
    const { errors: direct } = await walk([key]);
    expect(direct.map((e) => e.message)).toEqual(['not a certificate: text with no PEM block in it']);
  });
});
