/**
 * `inventory --format cyclonedx` validated with ajv against the official CycloneDX 1.6 JSON schema
 * (the copy the CycloneDX project ships in @cyclonedx/cyclonedx-library, with the SPDX and JSF
 * schemas it references), over a real scan: the example fleet (PEM, DER, PKCS#12, JKS, every proxy
 * kind, private keys), an Ed25519 certificate made by openssl and a TLS endpoint on loopback.
 * The validator is shown to reject a broken BOM; no private key material reaches the output.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsImport from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toInventoryFlags } from '../../src/cli/inventory-run.js';
import { renderInventory } from '../../src/cli/render/inventory.js';
import { resolveInventoryOptions } from '../../src/config/inventory-options.js';
import { loadConfig } from '../../src/config/load.js';
import type { CertificateRecord, InventoryResult } from '../../src/inventory/model.js';
import { runInventory } from '../../src/inventory/scan.js';
import { repoRoot } from '../helpers/cli.js';
import { issue, tempDir } from '../helpers/pki.js';
import { startTlsServer, type TlsServer } from '../helpers/tls-servers.js';

const require = createRequire(import.meta.url);
const addFormats = addFormatsImport as unknown as (ajv: Ajv) => Ajv;

interface Component {
  type: string;
  'bom-ref': string;
  name: string;
  hashes?: Array<{ alg: string; content: string }>;
  cryptoProperties: {
    assetType: string;
    oid?: string;
    certificateProperties?: Record<string, string>;
    relatedCryptoMaterialProperties?: { type: string; algorithmRef?: string; size?: number; format?: string; securedBy?: { mechanism: string } };
    algorithmProperties?: { primitive?: string; curve?: string; classicalSecurityLevel?: number; nistQuantumSecurityLevel?: number };
  };
  evidence?: { occurrences: Array<{ location: string; line?: number; additionalContext?: string }> };
  properties?: Array<{ name: string; value: string }>;
}

interface Bom {
  bomFormat: string;
  specVersion: string;
  serialNumber: string;
  metadata: { timestamp: string; tools: { components: Array<{ name: string; version: string }> } };
  components: Component[];
}

let validate: ValidateFunction;
let dir: string;
let result: InventoryResult;
let text: string;
let bom: Bom;
let server: TlsServer;
let endpointLeaf: string;

function schemaValidator(): ValidateFunction {
  let root: string;
  try {
    root = join(dirname(require.resolve('@cyclonedx/cyclonedx-library/package.json')), 'res', 'schema');
  } catch {
    throw new Error('the CycloneDX schemas (npm devDependency @cyclonedx/cyclonedx-library) are not installed: run npm install');
  }
  const load = (name: string) => JSON.parse(readFileSync(join(root, name), 'utf8')) as Record<string, unknown>;
  // The BOM schema refers to its neighbours by these URIs (as the library's own validator maps them);
  // nothing is fetched.
  const ajv = new Ajv({
    allErrors: true,
    strict: false,
    schemas: {
      'http://cyclonedx.org/schema/spdx.SNAPSHOT.schema.json': load('spdx.SNAPSHOT.schema.json'),
      'http://cyclonedx.org/schema/jsf-0.82.SNAPSHOT.schema.json': load('jsf-0.82.SNAPSHOT.schema.json'),
    },
  });
  addFormats(ajv);
  // Formats ajv-formats lacks, in fields certfleet never writes (external references, contact e-mails).
  ajv.addFormat('iri-reference', true);
  ajv.addFormat('idn-email', true);
  return ajv.compile(load('bom-1.6.SNAPSHOT.schema.json'));
}

const cyclonedx = (r: InventoryResult) => [...renderInventory(r, 'cyclonedx', { color: false, cwd: '/', toolVersion: '0.1.0-test' })].join('');

beforeAll(async () => {
  validate = schemaValidator();
  dir = tempDir('certfleet-cbom-');
  const fleet = join(dir, 'fleet');
  cpSync(join(repoRoot, 'examples', 'fleet', 'etc'), join(fleet, 'etc'), { recursive: true });
  cpSync(join(repoRoot, 'examples', 'certfleet.config.yaml'), join(dir, 'certfleet.config.yaml'));
  execFileSync(process.execPath, [join(repoRoot, 'examples', 'generate-fleet.mjs'), '--out', join(fleet, 'generated')], { stdio: 'pipe' });
  const ed = join(dir, 'ed25519');
  mkdirSync(ed);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ed25519', '-nodes', '-keyout', join(ed, 'key.pem'), '-out', join(ed, 'cert.pem'), '-days', '30', '-subj', '/CN=ed.example.test', '-addext', 'subjectAltName=DNS:ed.example.test'], { stdio: 'pipe' });

  const leaf = await issue({ commonName: 'tls.example.test', sans: ['tls.example.test'], days: 30, key: 'ec-p384' });
  endpointLeaf = leaf.certPem;
  server = await startTlsServer({ identity: { key: leaf.keyPem, cert: leaf.certPem } });

  const loaded = await loadConfig(dir, join(dir, 'certfleet.config.yaml'));
  const resolved = resolveInventoryOptions(loaded.config, toInventoryFlags([ed], { endpoint: [`127.0.0.1:${server.port},sni=tls.example.test`] }), {
    cwd: dir,
    env: {},
    now: new Date(),
    configFile: loaded.filePath,
  });
  result = await runInventory({ ...resolved.options, workers: 0 }, {});
  text = cyclonedx(result);
  bom = JSON.parse(text) as Bom;
}, 120_000);

afterAll(async () => {
  await server?.close();
});

const byRef = () => new Map(bom.components.map((c) => [c['bom-ref'], c]));

describe('inventory as a CycloneDX 1.6 CBOM', () => {
  it('is valid CycloneDX 1.6, from a scan that found every kind of source', () => {
    const ok = validate(bom);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
    expect(bom).toMatchObject({ bomFormat: 'CycloneDX', specVersion: '1.6', metadata: { timestamp: result.generatedAt, tools: { components: [{ name: 'certfleet', version: '0.1.0-test' }] } } });
    const kinds = new Set(result.certificates.flatMap((c) => c.sources.map((s) => (s.kind === 'file' ? s.format : s.kind))));
    expect([...kinds].sort()).toEqual(['der', 'endpoint', 'jks', 'pem', 'pkcs12', 'proxy']);
    expect(result.keys.length).toBeGreaterThan(10);
  });

  it('every certificate is a certificate asset: subject, issuer, validity, fingerprint, its algorithms and key, where it was found', () => {
    const refs = byRef();
    expect(bom.components.filter((c) => c.cryptoProperties.assetType === 'certificate')).toHaveLength(result.certificates.length);
    for (const cert of result.certificates) {
      const c = refs.get(`crypto/certificate/sha256:${cert.fingerprintSha256}`)!;
      expect(c, cert.subject).toBeDefined();
      expect(c.type).toBe('cryptographic-asset');
      expect(c.hashes).toEqual([{ alg: 'SHA-256', content: cert.fingerprintSha256 }]);
      const props = c.cryptoProperties.certificateProperties!;
      expect(props).toMatchObject({ subjectName: cert.subject, issuerName: cert.issuer, notValidBefore: cert.notBefore, notValidAfter: cert.notAfter, certificateFormat: 'X.509' });
      const signature = refs.get(props.signatureAlgorithmRef!)!;
      expect(signature.cryptoProperties).toMatchObject({ assetType: 'algorithm', algorithmProperties: { primitive: 'signature', nistQuantumSecurityLevel: 0 } });
      expect(signature.cryptoProperties.oid, cert.signatureAlgorithm).toMatch(/^\d+(\.\d+)+$/);
      const publicKey = refs.get(props.subjectPublicKeyRef!)!;
      expect(publicKey.cryptoProperties.relatedCryptoMaterialProperties).toMatchObject({ type: 'public-key', size: cert.keyBits });
      expect(refs.get(publicKey.cryptoProperties.relatedCryptoMaterialProperties!.algorithmRef!)!.cryptoProperties.assetType).toBe('algorithm');
      expect(c.evidence!.occurrences).toHaveLength(cert.sources.length);
      expect(c.properties).toContainEqual({ name: 'certfleet:serialNumber', value: cert.serialNumber });
      for (const f of cert.findings) expect(c.properties).toContainEqual({ name: 'certfleet:finding', value: `${f.id} (${f.severity}): ${f.message}` });
    }
  });

  it('names algorithms by OID and security level: RSA-1024 80 bits, P-384 192, Ed25519 one algorithm for key and signature', () => {
    const refs = byRef();
    const cert = (pred: (c: CertificateRecord) => boolean) => refs.get(`crypto/certificate/sha256:${result.certificates.find(pred)!.fingerprintSha256}`)!;
    const keyAlgorithmOf = (c: Component) => refs.get(refs.get(c.cryptoProperties.certificateProperties!.subjectPublicKeyRef!)!.cryptoProperties.relatedCryptoMaterialProperties!.algorithmRef!)!;

    const weak = keyAlgorithmOf(cert((c) => c.keyType === 'RSA' && c.keyBits === 1024));
    expect(weak).toMatchObject({ name: 'RSA-1024', cryptoProperties: { oid: '1.2.840.113549.1.1.1', algorithmProperties: { classicalSecurityLevel: 80 } } });

    const served = cert((c) => c.sources.some((s) => s.kind === 'endpoint'));
    expect(keyAlgorithmOf(served)).toMatchObject({ cryptoProperties: { oid: '1.2.840.10045.2.1', algorithmProperties: { curve: 'secp384r1', classicalSecurityLevel: 192 } } });
    expect(served.evidence!.occurrences).toContainEqual({ location: `127.0.0.1:${server.port}`, additionalContext: 'TLS endpoint (SNI tls.example.test, chain position 0)' });

    const ed = cert((c) => c.keyType === 'Ed25519');
    expect(ed.cryptoProperties.certificateProperties!.signatureAlgorithmRef).toBe('crypto/algorithm/ed25519@1.3.101.112');
    expect(keyAlgorithmOf(ed)).toMatchObject({ name: 'Ed25519', cryptoProperties: { oid: '1.3.101.112', algorithmProperties: { classicalSecurityLevel: 128 } } });

    const sha1 = cert((c) => c.signatureAlgorithm === 'sha1WithRSAEncryption');
    expect(refs.get(sha1.cryptoProperties.certificateProperties!.signatureAlgorithmRef!)).toMatchObject({ name: 'SHA1withRSA', cryptoProperties: { oid: '1.2.840.113549.1.1.5' } });
  });

  it('a certificate served by a proxy names the config file and line', () => {
    const refs = byRef();
    let proxies = 0;
    for (const cert of result.certificates) {
      for (const s of cert.sources) {
        if (s.kind !== 'proxy') continue;
        proxies++;
        expect(refs.get(`crypto/certificate/sha256:${cert.fingerprintSha256}`)!.evidence!.occurrences).toContainEqual(
          expect.objectContaining({ location: s.configFile, line: s.line, additionalContext: expect.stringContaining(`${s.proxy} serves ${s.certificateFile}`) }),
        );
      }
    }
    expect(proxies).toBeGreaterThan(5);
  });

  it('bom-refs are unique and every reference resolves to a component', () => {
    const refs = bom.components.map((c) => c['bom-ref']);
    expect(new Set(refs).size).toBe(refs.length);
    const known = new Set(refs);
    const references = text.match(/"(?:signatureAlgorithmRef|subjectPublicKeyRef|algorithmRef)": "([^"]+)"/g)!.map((m) => m.split('": "')[1]!.slice(0, -1));
    expect(references.length).toBeGreaterThan(result.certificates.length * 2);
    for (const r of references) expect(known, r).toContain(r);
  });

  it('each private key file is private-key material with its algorithm, size, format and place, and none of its bytes', () => {
    const refs = byRef();
    const privateKeys = bom.components.filter((c) => c.cryptoProperties.relatedCryptoMaterialProperties?.type === 'private-key');
    expect(privateKeys).toHaveLength(result.keys.length);
    for (const k of result.keys) {
      const c = privateKeys.find((p) => p.evidence!.occurrences[0]!.location === k.path)!;
      expect(c, k.path).toBeDefined();
      expect(c.cryptoProperties.relatedCryptoMaterialProperties).toMatchObject({ format: k.format, securedBy: { mechanism: k.encrypted ? 'Password' : 'None' } });
      if (k.keyBits > 0) expect(c.cryptoProperties.relatedCryptoMaterialProperties!.size).toBe(k.keyBits);
      expect(refs.get(c.cryptoProperties.relatedCryptoMaterialProperties!.algorithmRef!)!.cryptoProperties.assetType).toBe('algorithm');
      // A key whose certificate is in the inventory points at the public key they share.
      const pair = c.properties!.find((p) => p.name === 'certfleet:publicKeyRef');
      if (k.fingerprintSha256 && result.certificates.some((cert) => cert.publicKeyFingerprintSha256 === k.fingerprintSha256)) {
        expect(pair?.value).toBe(`crypto/key/public/sha256:${k.fingerprintSha256}`);
      }
    }
    expect(privateKeys.some((p) => p.properties!.some((q) => q.name === 'certfleet:publicKeyRef'))).toBe(true);

    // No key material: every private key body in the scanned files, and no PEM armour at all.
    const bodies: string[] = [];
    const walk = (d: string): void => {
      for (const entry of readdirSync(d, { withFileTypes: true })) {
        const path = join(d, entry.name);
        if (entry.isDirectory()) walk(path);
        else for (const m of readFileSync(path, 'latin1').matchAll(/-----BEGIN [A-Z ]*PRIVATE KEY-----\r?\n(?:.*:.*\n\n)?([A-Za-z0-9+/=]{40})/g)) bodies.push(m[1]!);
      }
    };
    walk(dir);
    expect(bodies.length).toBeGreaterThan(10);
    for (const body of bodies) expect(text.includes(body)).toBe(false);
    expect(text).not.toMatch(/-----BEGIN|PRIVATE KEY-----/);
    // Nor the certificates themselves: a CBOM describes them.
    expect(text.includes(endpointLeaf.split('\n')[1]!)).toBe(false);
  });

  it('an empty inventory is a valid BOM too', () => {
    const empty = cyclonedx({ ...result, certificates: [], keys: [], errors: [] });
    expect(validate(JSON.parse(empty))).toBe(true);
    expect(JSON.parse(empty).components).toEqual([]);
  });

  it('the validator rejects a broken BOM', () => {
    const broken = JSON.parse(text) as Bom;
    broken.components[0]!.cryptoProperties.assetType = 'cert';
    delete (broken.components[1] as Partial<Component>).name;
    expect(validate(broken)).toBe(false);
    expect(validate.errors!.length).toBeGreaterThanOrEqual(2);
  });

  it('is written one component at a time: 100,000 certificates in pieces of a few KB, still valid', () => {
    const template = result.certificates.find((c) => c.sources.length > 1)!;
    const many: InventoryResult = {
      ...result,
      keys: [],
      certificates: Array.from({ length: 100_000 }, (_, i) => ({ ...template, fingerprintSha256: i.toString(16).padStart(64, '0'), publicKeyFingerprintSha256: `e${(i % 1000).toString(16).padStart(63, '0')}` })),
    };
    let pieces = 0;
    let largest = 0;
    let sample = '';
    for (const piece of renderInventory(many, 'cyclonedx', { color: false, cwd: '/', toolVersion: '0.1.0-test' })) {
      pieces++;
      largest = Math.max(largest, piece.length);
      if (pieces <= 2001) sample += piece;
    }
    // The header, each certificate, each of the 1,000 public keys, the two algorithms, the closing.
    expect(pieces).toBe(1 + 100_000 + 1_000 + 2 + 1);
    expect(largest).toBeLessThan(16_384);
    // The first 2,000 components, closed, are a BOM the schema accepts.
    const head = JSON.parse(`${sample}]}`) as Bom;
    expect(head.components.length).toBe(2000);
    expect(validate(head)).toBe(true);
  });
});
