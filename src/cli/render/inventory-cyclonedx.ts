/**
 * The inventory as a CycloneDX 1.6 cryptographic bill of materials (CBOM), the format
 * post-quantum migration planning and crypto-inventory tools read: each certificate a
 * `cryptographic-asset` (assetType certificate) with its subject, issuer, validity and references
 * to its signature algorithm and public key; each public key and each private key file
 * related-crypto-material with its algorithm and size; each algorithm once, with its OID and
 * security levels; where each was found as evidence occurrences. Shaped after the CycloneDX CBOM
 * guide's examples (bom-refs `crypto/<kind>/...@<oid>`).
 *
 * No key material: a KeyRecord holds none, and no field here is read from key bytes.
 * Written one component at a time, so 100,000 certificates never become one string.
 */
import { createHash } from 'node:crypto';
import type { CertificateRecord, CertificateSource, Finding, InventoryResult, KeyRecord } from '../../inventory/model.js';
import type { KeyType } from '../../x509/certificate.js';

export interface CycloneDxOptions {
  /** certfleet's version, named as the tool that wrote the BOM. */
  toolVersion: string;
}

type Json = Record<string, unknown>;

export function* renderInventoryCycloneDx(result: InventoryResult, options: CycloneDxOptions): Iterable<string> {
  const head = {
    $schema: 'http://cyclonedx.org/schema/bom-1.6.schema.json',
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    serialNumber: serialNumber(result),
    version: 1,
    metadata: {
      timestamp: result.generatedAt,
      lifecycles: [{ phase: 'operations' }],
      tools: { components: [{ type: 'application', name: 'certfleet', version: options.toolVersion }] },
      properties: summaryProperties(result),
    },
  };
  yield JSON.stringify(head, null, 2).slice(0, -2) + ',\n  "components": [';

  let first = true;
  const component = (c: Json) => {
    const text = (first ? '\n    ' : ',\n    ') + JSON.stringify(c, null, 2).replaceAll('\n', '\n    ');
    first = false;
    return text;
  };
  // Algorithms are few (tens) and go last; a public key is written once, after the first certificate
  // that has it, and remembered with its algorithm (a private key file does not name its EC curve).
  const algorithms = new Map<string, Json>();
  const publicKeys = new Map<string, string>();

  for (const cert of result.certificates) {
    const signature = signatureAlgorithm(cert.signatureAlgorithm);
    algorithms.set(signature.ref, signature.component);
    const key = keyAlgorithm(cert.keyType, cert.keyBits, cert.curve);
    algorithms.set(key.ref, key.component);
    const publicKeyRef = publicKeyRefOf(cert.publicKeyFingerprintSha256);
    yield component(certificateComponent(cert, signature.ref, publicKeyRef));
    if (!publicKeys.has(cert.publicKeyFingerprintSha256)) {
      publicKeys.set(cert.publicKeyFingerprintSha256, key.ref);
      yield component(publicKeyComponent(cert, publicKeyRef, key.ref));
    }
  }
  for (const [i, k] of result.keys.entries()) {
    const ofCertificate = k.fingerprintSha256 === undefined ? undefined : publicKeys.get(k.fingerprintSha256);
    let algorithmRef = ofCertificate;
    if (algorithmRef === undefined) {
      const key = keyAlgorithm(k.keyType, k.keyBits, undefined);
      algorithms.set(key.ref, key.component);
      algorithmRef = key.ref;
    }
    yield component(privateKeyComponent(k, i, algorithmRef, ofCertificate ? publicKeyRefOf(k.fingerprintSha256!) : undefined));
  }
  for (const algorithm of algorithms.values()) yield component(algorithm);
  yield (first ? ']\n}\n' : '\n  ]\n}\n');
}

/**
 * RFC 4122 version 5 (SHA-1, name-based) from what the inventory saw and when: the same result
 * renders the same BOM; every scan (a new generatedAt) a new serial number.
 */
function serialNumber(result: InventoryResult): string {
  const hash = createHash('sha1').update(CERTFLEET_NAMESPACE).update(`certfleet inventory ${result.generatedAt}`);
  for (const c of result.certificates) hash.update(c.fingerprintSha256);
  for (const k of result.keys) hash.update(`\0${k.path}`);
  const b = hash.digest().subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x50;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `urn:uuid:${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The RFC 4122 URL namespace (6ba7b811-9dad-11d1-80b4-00c04fd430c8): names here are certfleet's own. */
const CERTFLEET_NAMESPACE = Buffer.from('6ba7b8119dad11d180b400c04fd430c8', 'hex');

function summaryProperties(result: InventoryResult): Array<{ name: string; value: string }> {
  const s = result.summary;
  const p = [
    { name: 'certfleet:inventorySchemaVersion', value: String(result.schemaVersion) },
    { name: 'certfleet:certificates', value: String(s.certificates) },
    { name: 'certfleet:privateKeys', value: String(s.keys) },
    { name: 'certfleet:sourcesUnreadable', value: String(s.errors) },
  ];
  if (s.trustAnchors !== undefined) p.push({ name: 'certfleet:trustAnchors', value: String(s.trustAnchors) });
  return p;
}

function certificateComponent(c: CertificateRecord, signatureRef: string, publicKeyRef: string): Json {
  const properties = [
    { name: 'certfleet:serialNumber', value: c.serialNumber },
    ...c.sans.map((value) => ({ name: 'certfleet:san', value })),
    ...(c.isCA ? [{ name: 'certfleet:isCA', value: 'true' }] : []),
    ...(c.selfSigned ? [{ name: 'certfleet:selfSigned', value: 'true' }] : []),
    ...(c.trustAnchor ? [{ name: 'certfleet:trustAnchor', value: 'true' }] : []),
    ...(c.managedBy ? [{ name: 'certfleet:managedBy', value: `${c.managedBy.name} (${c.managedBy.role})` }] : []),
    ...(c.keptCopy ? [{ name: 'certfleet:keptCopy', value: 'true' }] : []),
    ...findingProperties(c.findings),
  ];
  return {
    type: 'cryptographic-asset',
    'bom-ref': `crypto/certificate/sha256:${c.fingerprintSha256}`,
    name: c.commonName || c.sans[0] || c.subject || `sha256:${c.fingerprintSha256}`,
    hashes: [{ alg: 'SHA-256', content: c.fingerprintSha256 }],
    cryptoProperties: {
      assetType: 'certificate',
      certificateProperties: {
        subjectName: c.subject,
        issuerName: c.issuer,
        notValidBefore: c.notBefore,
        notValidAfter: c.notAfter,
        signatureAlgorithmRef: signatureRef,
        subjectPublicKeyRef: publicKeyRef,
        certificateFormat: 'X.509',
      },
    },
    evidence: { occurrences: c.sources.map(occurrence) },
    properties,
  };
}

function publicKeyComponent(c: CertificateRecord, ref: string, algorithmRef: string): Json {
  return {
    type: 'cryptographic-asset',
    'bom-ref': ref,
    name: `${keyName(c.keyType, c.keyBits, c.curve)} public key`,
    cryptoProperties: {
      assetType: 'related-crypto-material',
      relatedCryptoMaterialProperties: {
        type: 'public-key',
        id: `sha256:${c.publicKeyFingerprintSha256}`,
        algorithmRef,
        ...(c.keyBits > 0 ? { size: c.keyBits } : {}),
      },
    },
  };
}

function publicKeyRefOf(spkiSha256: string): string {
  return `crypto/key/public/sha256:${spkiSha256}`;
}

/**
 * What a key file is, never what is in it: type, size, format, whether a password protects it,
 * where it is, and the public key component of its pair when a certificate has it.
 */
function privateKeyComponent(k: KeyRecord, index: number, algorithmRef: string, publicKeyRef: string | undefined): Json {
  const properties = [
    ...(k.fingerprintSha256 ? [{ name: 'certfleet:publicKeySha256', value: k.fingerprintSha256 }] : []),
    ...(publicKeyRef ? [{ name: 'certfleet:publicKeyRef', value: publicKeyRef }] : []),
    { name: 'certfleet:matchesCertificate', value: String(k.matched) },
    ...(k.mode !== undefined ? [{ name: 'certfleet:fileMode', value: `0${(k.mode & 0o7777).toString(8)}` }] : []),
    ...(k.managedBy ? [{ name: 'certfleet:managedBy', value: `${k.managedBy.name} (${k.managedBy.role})` }] : []),
    ...findingProperties(k.findings),
  ];
  return {
    type: 'cryptographic-asset',
    'bom-ref': `crypto/key/private/${index + 1}`,
    name: `${keyName(k.keyType, k.keyBits, undefined)} private key`,
    cryptoProperties: {
      assetType: 'related-crypto-material',
      relatedCryptoMaterialProperties: {
        type: 'private-key',
        algorithmRef,
        ...(k.keyBits > 0 ? { size: k.keyBits } : {}),
        format: k.format,
        securedBy: { mechanism: k.encrypted ? 'Password' : 'None' },
      },
    },
    evidence: { occurrences: [{ location: k.path, additionalContext: `private key file (${k.format}${k.encrypted ? ', encrypted' : ''})` }] },
    properties,
  };
}

function findingProperties(findings: Finding[]): Array<{ name: string; value: string }> {
  return findings.map((f) => ({ name: 'certfleet:finding', value: `${f.id} (${f.severity}): ${f.message}` }));
}

function occurrence(s: CertificateSource): Json {
  switch (s.kind) {
    case 'file': {
      const what = [`${s.format} file`, s.entry !== undefined ? `entry ${s.entry}` : '', s.trustStore ? `trust store (${s.trustStore})` : ''];
      return { location: s.location, additionalContext: what.filter(Boolean).join(', ') };
    }
    case 'proxy':
      return {
        location: s.configFile,
        line: s.line,
        additionalContext: `${s.proxy} serves ${s.certificateFile}${s.serverNames.length ? ` for ${s.serverNames.join(' ')}` : ''} (chain position ${s.chainPosition})`,
      };
    case 'endpoint': {
      const how = [s.sni && s.sni !== s.host ? `SNI ${s.sni}` : '', s.starttls ? `STARTTLS ${s.starttls}` : '', `chain position ${s.chainPosition}`];
      return { location: s.location, additionalContext: `TLS endpoint (${how.filter(Boolean).join(', ')})` };
    }
  }
}

// --- algorithms -------------------------------------------------------------------------------

/**
 * The signature algorithms certificates carry, by the name the inventory gives them (OpenSSL's long
 * name): the name CBOM tools use (the JCA standard name, as in the CycloneDX CBOM guide), the OID
 * and the digest size.
 */
const signatureAlgorithms: Record<string, { name: string; oid: string; digestBits?: number }> = {
  md5WithRSAEncryption: { name: 'MD5withRSA', oid: '1.2.840.113549.1.1.4', digestBits: 128 },
  sha1WithRSAEncryption: { name: 'SHA1withRSA', oid: '1.2.840.113549.1.1.5', digestBits: 160 },
  sha224WithRSAEncryption: { name: 'SHA224withRSA', oid: '1.2.840.113549.1.1.14', digestBits: 224 },
  sha256WithRSAEncryption: { name: 'SHA256withRSA', oid: '1.2.840.113549.1.1.11', digestBits: 256 },
  sha384WithRSAEncryption: { name: 'SHA384withRSA', oid: '1.2.840.113549.1.1.12', digestBits: 384 },
  sha512WithRSAEncryption: { name: 'SHA512withRSA', oid: '1.2.840.113549.1.1.13', digestBits: 512 },
  rsassaPss: { name: 'RSASSA-PSS', oid: '1.2.840.113549.1.1.10' },
  'ecdsa-with-SHA1': { name: 'SHA1withECDSA', oid: '1.2.840.10045.4.1', digestBits: 160 },
  'ecdsa-with-SHA224': { name: 'SHA224withECDSA', oid: '1.2.840.10045.4.3.1', digestBits: 224 },
  'ecdsa-with-SHA256': { name: 'SHA256withECDSA', oid: '1.2.840.10045.4.3.2', digestBits: 256 },
  'ecdsa-with-SHA384': { name: 'SHA384withECDSA', oid: '1.2.840.10045.4.3.3', digestBits: 384 },
  'ecdsa-with-SHA512': { name: 'SHA512withECDSA', oid: '1.2.840.10045.4.3.4', digestBits: 512 },
  ED25519: { name: 'Ed25519', oid: '1.3.101.112' },
  ED448: { name: 'Ed448', oid: '1.3.101.113' },
  dsaWithSHA1: { name: 'SHA1withDSA', oid: '1.2.840.10040.4.3', digestBits: 160 },
  dsa_with_SHA224: { name: 'SHA224withDSA', oid: '2.16.840.1.101.3.4.3.1', digestBits: 224 },
  dsa_with_SHA256: { name: 'SHA256withDSA', oid: '2.16.840.1.101.3.4.3.2', digestBits: 256 },
};

function signatureAlgorithm(inventoryName: string): { ref: string; component: Json } {
  const known = signatureAlgorithms[inventoryName];
  // The inventory names an algorithm OpenSSL has no name for by its OID.
  const oid = known?.oid ?? (/^\d+(\.\d+)+$/.test(inventoryName) ? inventoryName : undefined);
  const name = known?.name ?? inventoryName;
  const level = inventoryName === 'ED25519' ? 128 : inventoryName === 'ED448' ? 224 : undefined;
  return algorithmComponent(name, oid, {
    primitive: 'signature',
    ...(known?.digestBits ? { parameterSetIdentifier: String(known.digestBits) } : {}),
    cryptoFunctions: ['sign', 'verify'],
    ...(level !== undefined ? { classicalSecurityLevel: level } : {}),
    // Every signature scheme in an X.509 certificate today falls to a quantum computer.
    nistQuantumSecurityLevel: 0,
  });
}

const keyOids: Partial<Record<KeyType, string>> = {
  RSA: '1.2.840.113549.1.1.1',
  EC: '1.2.840.10045.2.1',
  Ed25519: '1.3.101.112',
  Ed448: '1.3.101.113',
  DSA: '1.2.840.10040.4.1',
};

function keyName(type: KeyType, bits: number, curve: string | undefined): string {
  if (type === 'Ed25519' || type === 'Ed448' || type === 'unknown') return type;
  if (type === 'EC') return curve ? `EC-${curve}` : `EC-${bits}`;
  return `${type}-${bits}`;
}

function keyAlgorithm(type: KeyType, bits: number, curve: string | undefined): { ref: string; component: Json } {
  // EdDSA names one algorithm (and one OID) for the key and the signature: one component for both.
  if (type === 'Ed25519' || type === 'Ed448') return signatureAlgorithm(type.toUpperCase());
  const level = classicalSecurityLevel(type, bits);
  return algorithmComponent(keyName(type, bits, curve), keyOids[type], {
    ...(type === 'RSA' || type === 'unknown' ? {} : { primitive: 'signature' }),
    ...(type === 'RSA' || type === 'DSA' ? { parameterSetIdentifier: String(bits) } : {}),
    ...(type === 'EC' && curve ? { curve } : {}),
    ...(level !== undefined ? { classicalSecurityLevel: level } : {}),
    ...(type === 'unknown' ? {} : { nistQuantumSecurityLevel: 0 }),
  });
}

/**
 * Bits of classical security (NIST SP 800-57 Part 1 Rev. 5, Table 2): RSA and DSA by modulus
 * size, elliptic curves half the order's size (Ed25519 128 and Ed448 224 are set with their signature).
 */
function classicalSecurityLevel(type: KeyType, bits: number): number | undefined {
  if (bits <= 0) return undefined;
  if (type === 'EC') return Math.floor(bits / 2);
  if (type === 'RSA' || type === 'DSA') {
    const steps: Array<[number, number]> = [[15_360, 256], [7_680, 192], [3_072, 128], [2_048, 112], [1_024, 80]];
    return steps.find(([min]) => bits >= min)?.[1] ?? 0;
  }
  return undefined;
}

function algorithmComponent(name: string, oid: string | undefined, algorithmProperties: Json): { ref: string; component: Json } {
  const ref = `crypto/algorithm/${name.toLowerCase().replace(/[^a-z0-9.-]+/g, '-')}${oid ? `@${oid}` : ''}`;
  return {
    ref,
    component: {
      type: 'cryptographic-asset',
      'bom-ref': ref,
      name,
      cryptoProperties: { assetType: 'algorithm', algorithmProperties, ...(oid ? { oid } : {}) },
    },
  };
}
