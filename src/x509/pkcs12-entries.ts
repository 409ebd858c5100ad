/**
 * Turn a PKCS#12 file's loose bags into keystore entries: each key with its chain (leaf found by
 * localKeyId, else by public key; issuers found among the file's certificates), then every
 * certificate that served in no key's chain as an entry of its own. PKCS#12 has no notion of an
 * entry, so this pairing is what makes its listing comparable with a JKS one.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { parseCertificate } from './certificate.js';
import type { KeystoreEntry, KeystorePrivateKey } from './keystore-types.js';
import type { Bags, CertBag } from './pkcs12-bags.js';

interface ParsedCert {
  bag: CertBag;
  x509: X509Certificate | undefined;
  spkiSha256: string | undefined;
}

export function groupEntries(bags: Bags): { entries: KeystoreEntry[]; notes?: string[] } {
  const certs: ParsedCert[] = bags.certs.map((bag) => {
    try {
      const x509 = new X509Certificate(bag.der);
      const spki = x509.publicKey.export({ type: 'spki', format: 'der' });
      return { bag, x509, spkiSha256: createHash('sha256').update(spki).digest('hex') };
    } catch {
      return { bag, x509: undefined, spkiSha256: undefined }; // still listed; the caller reports it as corrupt
    }
  });
  const notes = [...bags.notes];
  const inAChain = new Set<ParsedCert>();
  const entries: KeystoreEntry[] = [];
  for (const key of bags.keys) {
    const leaf =
      (key.localKeyId !== undefined ? certs.find((c) => c.bag.localKeyId === key.localKeyId) : undefined) ??
      (key.facts ? certs.find((c) => c.spkiSha256 === key.facts!.publicKeyFingerprintSha256) : undefined);
    const chain = leaf ? chainFrom(leaf, certs) : [];
    for (const c of chain) inAChain.add(c);
    const alias = key.friendlyName ?? leaf?.bag.friendlyName;
    const privateKey = key.facts ?? (leaf ? factsFromCertificate(leaf.bag.der) : undefined);
    if (key.problem) notes.push(`${alias !== undefined ? `entry "${alias}"` : 'a key bag'}: ${key.problem}${privateKey ? '; key facts taken from its certificate' : ''}`);
    if (!privateKey && chain.length === 0) continue; // nothing to list: the note says why
    const entry: KeystoreEntry = { certificates: chain.map((c) => new Uint8Array(c.bag.der)) };
    if (alias !== undefined) entry.alias = alias;
    if (privateKey) {
      entry.privateKey = privateKey;
      entry.privateKeyFrom = key.facts ? 'private-key' : 'leaf-certificate';
    }
    entries.push(entry);
  }
  // A certificate is an entry of its own unless it served in a key's chain. Java names chain
  // certificates after their subject, so a name proves nothing; only its trusted-entry mark does.
  for (const cert of certs) {
    if (inAChain.has(cert) && !cert.bag.trusted) continue;
    const entry: KeystoreEntry = { certificates: [new Uint8Array(cert.bag.der)] };
    if (cert.bag.friendlyName !== undefined) entry.alias = cert.bag.friendlyName;
    entries.push(entry);
  }
  return notes.length ? { entries, notes } : { entries };
}

/**
 * Leaf first, then each issuer found among the file's certificates, until a root or a gap.
 * Java's trusted-certificate entries are entries of their own, not part of any key's chain.
 */
function chainFrom(leaf: ParsedCert, certs: readonly ParsedCert[]): ParsedCert[] {
  const chain = [leaf];
  let current = leaf;
  while (current.x509 && !current.x509.checkIssued(current.x509)) {
    const subject = current.x509;
    const issuer = certs.find((c) => c.x509 && !c.bag.trusted && !chain.includes(c) && subject.checkIssued(c.x509));
    if (!issuer) break;
    chain.push(issuer);
    current = issuer;
  }
  return chain;
}

function factsFromCertificate(der: Buffer): KeystorePrivateKey | undefined {
  try {
    const { info } = parseCertificate(der);
    return { publicKeyFingerprintSha256: info.publicKeyFingerprintSha256, keyType: info.keyType, keyBits: info.keyBits };
  } catch {
    return undefined;
  }
}
