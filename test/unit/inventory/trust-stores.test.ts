/**
 * Trust stores are not the fleet: which files are trust stores (by path, by a symlink into a trust
 * store's folders, by hash-link name, by cacerts name, by shape), which certificates are therefore
 * trust anchors, and what the scan does with them (listed unchecked, checked, or skipped). The scan
 * runs over a Debian-shaped tree built in a temporary directory: paths match anywhere in the path,
 * as they do for a mounted copy of another system.
 */
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CertificateRecord, CertificateSource, InventoryResult, TrustStoresMode } from '../../../src/inventory/model.js';
import { runInventory } from '../../../src/inventory/scan.js';
import type { FileCertificate } from '../../../src/inventory/sources/file-content.js';
import { JAVA_CACERTS_DEFAULT_PASSWORD, passwordChooser } from '../../../src/inventory/sources/passwords.js';
import { isTrustAnchor, ROOT_BUNDLE_MIN, trustStoreOf } from '../../../src/inventory/trust-stores.js';
import { shippedTimeline } from '../../../src/policy/timeline.js';
import { parseCertificate } from '../../../src/x509/certificate.js';
import { requireTool, run } from '../../helpers/keystores.js';
import { issue, tempDir, writeFile, type Issued } from '../../helpers/pki.js';

const DAY = 86_400_000;
const now = new Date();

const asFileCert = (issued: Issued, format: FileCertificate['format'] = 'pem'): FileCertificate => ({ info: parseCertificate(issued.der).info, format });

describe('trustStoreOf', async () => {
  const root = await issue({ commonName: 'Some Root CA', ca: true, days: 3650 });
  const roots = await Promise.all(Array.from({ length: ROOT_BUNDLE_MIN }, (_, i) => issue({ commonName: `Bundle Root ${i}`, ca: true, days: 3650 })));
  const leaf = await issue({ commonName: 'www.a.test', sans: ['www.a.test'] }, roots[0]);
  const file = (path: string, certificates: FileCertificate[] = [asFileCert(root)], linkTarget?: string) => ({
    path, certificates, keys: [], ...(linkTarget ? { linkTarget } : {}),
  });

  it('knows the distributions\' CA bundles, on this system or a mounted copy of another', () => {
    expect(trustStoreOf(file('/etc/ssl/certs/ca-certificates.crt'))).toBe('system-bundle');
    expect(trustStoreOf(file('/etc/pki/tls/certs/ca-bundle.crt'))).toBe('system-bundle');
    expect(trustStoreOf(file('/etc/ssl/cert.pem'))).toBe('system-bundle');
    expect(trustStoreOf(file('/mnt/image/etc/ssl/ca-bundle.pem'))).toBe('system-bundle');
  });

  it('knows a trust store\'s own folders, and Debian\'s links into them', () => {
    expect(trustStoreOf(file('/usr/share/ca-certificates/mozilla/ISRG_Root_X1.crt'))).toBe('ca-source');
    expect(trustStoreOf(file('/usr/local/share/ca-certificates/corp-root.crt'))).toBe('ca-source');
    expect(trustStoreOf(file('/etc/pki/ca-trust/source/anchors/corp.pem'))).toBe('ca-source');
    expect(trustStoreOf(file('/etc/ssl/certs/ISRG_Root_X1.pem', undefined, '/usr/share/ca-certificates/mozilla/ISRG_Root_X1.crt'))).toBe('ca-source');
  });

  it('knows OpenSSL hash links and Java cacerts (a keystore so named)', () => {
    expect(trustStoreOf(file('/etc/ssl/certs/4042bcee.0'))).toBe('hash-dir');
    expect(trustStoreOf(file('/etc/ssl/certs/4042bcee.1'))).toBe('hash-dir');
    expect(trustStoreOf(file('/usr/lib/jvm/jdk-21/lib/security/cacerts', [asFileCert(root, 'jks')]))).toBe('java-cacerts');
    expect(trustStoreOf(file('/opt/app/jssecacerts', [asFileCert(root, 'pkcs12')]))).toBe('java-cacerts');
    // A PEM file someone named cacerts is judged like any other PEM file.
    expect(trustStoreOf(file('/opt/app/cacerts', [asFileCert(root)]))).toBeUndefined();
  });

  it('knows a bundle of roots by its shape, and never takes a chain for one', () => {
    expect(trustStoreOf(file('/opt/venv/lib/certifi/cacert.pem', roots.map((r) => asFileCert(r))))).toBe('root-bundle');
    expect(trustStoreOf(file('/opt/x/few.pem', roots.slice(1).map((r) => asFileCert(r))))).toBeUndefined();
    expect(trustStoreOf(file('/opt/x/chain.pem', [asFileCert(leaf), ...roots.map((r) => asFileCert(r))]))).toBeUndefined();
    expect(trustStoreOf({ ...file('/opt/x/with-key.pem', roots.map((r) => asFileCert(r))), keys: [{ format: 'pkcs8', encrypted: false, keyType: 'EC', keyBits: 256 }] })).toBeUndefined();
  });

  it('leaves the machine\'s own certificate files alone', () => {
    expect(trustStoreOf(file('/etc/ssl/certs/ssl-cert-snakeoil.pem'))).toBeUndefined();
    expect(trustStoreOf(file('/etc/nginx/ssl/site.crt', [asFileCert(leaf)]))).toBeUndefined();
  });
});

describe('isTrustAnchor', async () => {
  const root = parseCertificate((await issue({ commonName: 'Some Root CA', ca: true, days: 3650 })).der).info;
  const snakeoil = parseCertificate((await issue({ commonName: 'debian.example.test', sans: ['debian.example.test'], ca: true })).der).info;
  const store: CertificateSource = { kind: 'file', location: '/etc/ssl/certs/ca-certificates.crt', format: 'pem', trustStore: 'system-bundle' };
  const hash: CertificateSource = { kind: 'file', location: '/etc/ssl/certs/aabbccdd.0', format: 'pem', trustStore: 'hash-dir' };
  const plain: CertificateSource = { kind: 'file', location: '/etc/ssl/certs/own.pem', format: 'pem' };
  const served: CertificateSource = {
    kind: 'endpoint', location: 'localhost:443', host: 'localhost', port: 443, chainPosition: 0, trusted: false,
  };

  it('is a certificate a trust store holds and nothing serves', () => {
    expect(isTrustAnchor({ ...root, sources: [store, hash] })).toBe(true);
    expect(isTrustAnchor({ ...root, sources: [store, plain] })).toBe(true); // a root also copied somewhere
    expect(isTrustAnchor({ ...root, sources: [plain] })).toBe(false);
    expect(isTrustAnchor({ ...root, sources: [store, served] })).toBe(false);
  });

  it('keeps a host\'s own certificate in the fleet when it is also in a file of its own', () => {
    // `openssl rehash` links every certificate in /etc/ssl/certs, the snakeoil one too.
    expect(isTrustAnchor({ ...snakeoil, sources: [plain, hash] })).toBe(false);
    // Added to the system store so local clients trust it, and found only there: a trust anchor here.
    expect(isTrustAnchor({ ...snakeoil, sources: [store, hash] })).toBe(true);
  });
});

describe('Java cacerts password', () => {
  it('tries changeit on a file named cacerts, after the configured passwords', () => {
    const choose = passwordChooser([{ password: 'mine' }]);
    expect(choose('/etc/ssl/certs/java/cacerts')).toEqual(['mine', JAVA_CACERTS_DEFAULT_PASSWORD, '']);
    expect(choose('/opt/app/keystore.jks')).toEqual(['mine', '']);
    expect(passwordChooser([{ password: 'changeit' }])('/x/cacerts')).toEqual(['changeit', '']);
  });
});

describe('a scan over a Debian-shaped system (in a temporary directory)', () => {
  let system: string;
  let expiredRoot: Issued;
  let currentRoot: Issued;
  let snakeoil: Issued;
  let privateRoot: Issued;

  beforeAll(async () => {
    requireTool('keytool');
    system = tempDir('certfleet-truststores-');
    expiredRoot = await issue({ commonName: 'Old Public Root', ca: true, hash: 'SHA-1', key: 'rsa-2048', notBefore: new Date(now.getTime() - 7300 * DAY), notAfter: new Date(now.getTime() - 30 * DAY) });
    currentRoot = await issue({ commonName: 'New Public Root', ca: true, days: 3650 });
    snakeoil = await issue({ commonName: 'host.example.test', sans: ['host.example.test'], ca: true, notBefore: new Date(now.getTime() - 3650 * DAY), notAfter: new Date(now.getTime() - DAY) });
    privateRoot = await issue({ commonName: 'Corp Root', ca: true, notBefore: new Date(now.getTime() - 3650 * DAY), notAfter: new Date(now.getTime() - DAY) });

    const share = join(system, 'usr/share/ca-certificates/mozilla');
    const certs = join(system, 'etc/ssl/certs');
    writeFile(join(share, 'Old_Public_Root.crt'), expiredRoot.certPem);
    writeFile(join(share, 'New_Public_Root.crt'), currentRoot.certPem);
    mkdirSync(join(certs, 'java'), { recursive: true });
    symlinkSync(join(share, 'Old_Public_Root.crt'), join(certs, 'Old_Public_Root.pem'));
    symlinkSync(join(share, 'New_Public_Root.crt'), join(certs, 'New_Public_Root.pem'));
    symlinkSync('Old_Public_Root.pem', join(certs, '1a2b3c4d.0'));
    symlinkSync('New_Public_Root.pem', join(certs, '5e6f7a8b.0'));
    writeFile(join(certs, 'ca-certificates.crt'), expiredRoot.certPem + currentRoot.certPem);
    // The machine's own self-signed certificate (expired), with the hash link `openssl rehash` gives it.
    writeFile(join(certs, 'ssl-cert-snakeoil.pem'), snakeoil.certPem);
    symlinkSync('ssl-cert-snakeoil.pem', join(certs, '9c9c9c9c.0'));
    // Java's cacerts, built by keytool with its default password.
    const oldRootFile = writeFile(join(system, 'tmp/old-root.pem'), expiredRoot.certPem);
    await run('keytool', ['-importcert', '-noprompt', '-storetype', 'JKS', '-keystore', join(certs, 'java/cacerts'), '-storepass', 'changeit', '-alias', 'debian:old_public_root.pem', '-file', oldRootFile]);
    // A private root outside any trust store: the fleet's own business.
    writeFile(join(system, 'srv/pki/corp-root.pem'), privateRoot.certPem);
    // Files that merely are not certificates.
    writeFile(join(system, 'etc/bind/rndc.key'), 'key "rndc-key" {\n\talgorithm hmac-sha256;\n\tsecret "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI=";\n};\n', 0o640);
    writeFile(join(system, 'etc/postgresql-common/root.crt'), 'This is a dummy root certificate file for PostgreSQL. To enable client side\nauthentication, add some certificates to it.\n');
  }, 60_000);

  async function scan(trustStores?: TrustStoresMode): Promise<InventoryResult> {
    return runInventory({
      paths: [join(system, 'etc'), join(system, 'usr'), join(system, 'srv')],
      proxyConfigs: [], detectProxyConfigs: false, endpoints: [], passwords: [], extraCa: [], exclude: [],
      endpointConcurrency: 1, connectTimeoutMs: 1000, handshakeTimeoutMs: 1000, workers: 0,
      ...(trustStores ? { trustStores } : {}),
      timeline: shippedTimeline(), now,
    });
  }
  const bySubject = (r: InventoryResult, cn: string): CertificateRecord | undefined => r.certificates.find((c) => c.subject === `CN=${cn}`);

  it('lists the roots as trust anchors, unchecked, and reads cacerts with changeit', async () => {
    const r = await scan();
    expect(r.errors).toEqual([]);
    const old = bySubject(r, 'Old Public Root')!;
    expect(old.trustAnchor).toBe(true);
    expect(old.findings).toEqual([]);
    expect(new Set(old.sources.map((s) => s.kind === 'file' && s.trustStore))).toEqual(new Set(['ca-source', 'hash-dir', 'system-bundle', 'java-cacerts']));
    expect(bySubject(r, 'New Public Root')!.trustAnchor).toBe(true);
    expect(r.summary.trustAnchors).toBe(2);
  });

  it('still checks the machine\'s own certificates: the snakeoil leaf and a private root outside the stores', async () => {
    const r = await scan();
    const own = bySubject(r, 'host.example.test')!;
    expect(own.trustAnchor).toBeUndefined();
    expect(own.findings.map((f) => f.id).sort()).toEqual(['expired', 'self-signed']);
    expect(bySubject(r, 'Corp Root')!.findings.map((f) => f.id)).toEqual(['expired']);
  });

  it('checks the trust anchors when asked, and leaves them out when told to', async () => {
    const checked = await scan('check');
    const old = bySubject(checked, 'Old Public Root')!;
    expect(old.trustAnchor).toBe(true);
    // Expired, but its SHA-1 self-signature is a root's and stays exempt.
    expect(old.findings.map((f) => f.id)).toEqual(['expired']);
    const skipped = await scan('skip');
    expect(bySubject(skipped, 'Old Public Root')).toBeUndefined();
    expect(skipped.summary.trustAnchors).toBe(2);
    expect(skipped.certificates.map((c) => c.subject).sort()).toEqual(['CN=Corp Root', 'CN=host.example.test']);
  });
});
