/**
 * Thousands of mutants (fixed seed) of the differential corpus: byte flips, length tweaks, inserted
 * and deleted bytes, truncations. The oracle is OpenSSL 3.0 in-process (node:crypto's
 * X509Certificate runs the same d2i_X509 as `openssl x509`). For every mutant:
 * - no exception but certfleet's DerError escapes the parser;
 * - where certfleet reads the certificate, OpenSSL reads it too and agrees on serial, validity,
 *   subject, issuer, DNS/IP SANs and the key;
 * - where certfleet refuses a certificate OpenSSL reads, the error names a field, a defect and a
 *   byte offset inside the data, and the defect is real: a time OpenSSL cannot read either
 *   ("Bad time value"), or a DER rule OpenSSL's BER-tolerant reader overlooks (non-minimal
 *   lengths, constructed strings, non-zero padding bits, differing signature algorithms, ...).
 */
import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCertificate, type CertificateInfo } from '../../src/x509/certificate.js';
import { curveBitsByName } from '../../src/x509/ec-curves.js';
import { DerError } from '../../src/x509/der.js';
import { tempDir } from '../helpers/pki.js';
import { buildCorpus } from '../helpers/x509-corpus.js';

const MUTANTS_PER_SEED = 250;
const SEED = 0x5eed_c0de;

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Offsets of every length byte in a DER tree (where a tweak changes structure, not content). */
function lengthOffsets(der: Uint8Array): number[] {
  const out: number[] = [];
  const walk = (start: number, end: number, depth: number): void => {
    for (let pos = start; pos + 2 <= end; ) {
      const tag = der[pos]!;
      const l = der[pos + 1]!;
      const n = l & 0x80 ? l & 0x7f : 0;
      let len = n ? 0 : l;
      for (let i = 0; i < n; i++) len = len * 256 + der[pos + 2 + i]!;
      const cStart = pos + 2 + n;
      if (cStart + len > end || n > 4) return;
      out.push(pos + 1 + n); // the last length byte
      if (tag & 0x20 && depth < 12) walk(cStart, cStart + len, depth + 1);
      else if (tag === 0x04 && depth < 12) walk(cStart, cStart + len, depth + 1); // extension values
      pos = cStart + len;
    }
  };
  walk(0, der.length, 0);
  return out;
}

function mutate(seed: Uint8Array, rnd: () => number, lengths: number[]): { der: Uint8Array; how: string } {
  const pick = (n: number): number => Math.floor(rnd() * n);
  const der = Uint8Array.from(seed);
  switch (pick(6)) {
    case 0: {
      const at = pick(der.length);
      der[at] = pick(256);
      return { der, how: `byte ${at} = random` };
    }
    case 1: {
      const at = pick(der.length);
      der[at]! ^= 1 << pick(8);
      return { der, how: `bit flip at ${at}` };
    }
    case 2: {
      const at = lengths[pick(lengths.length)]!;
      der[at] = (der[at]! + [1, -1, 2, -2, 0x80][pick(5)]!) & 0xff;
      return { der, how: `length tweak at ${at}` };
    }
    case 3: {
      const len = pick(seed.length);
      return { der: seed.slice(0, len), how: `truncated to ${len}` };
    }
    case 4: {
      const at = pick(seed.length);
      return { der: Uint8Array.from([...seed.subarray(0, at), ...seed.subarray(at + 1)]), how: `byte ${at} deleted` };
    }
    default: {
      const at = pick(seed.length);
      return { der: Uint8Array.from([...seed.subarray(0, at), pick(256), ...seed.subarray(at)]), how: `byte inserted at ${at}` };
    }
  }
}

/** Node's multi-line RFC 2253-escaped name in certfleet's notation (esc_ctrl and \\ kept). */
function nodeName(text: string | undefined): string {
  if (!text) return '';
  return text.split('\n').map((rdn) => rdn.replace(/\\(\\|[0-9A-F]{2}|.)/g, (m, c: string) => (c === '\\' || c.length === 2 ? m : c))).join(', ');
}

function nodeTime(text: string): string {
  if (text === 'Bad time value') return 'bad';
  const m = /^(\w{3}) +(\d+) (\d\d):(\d\d):(\d\d)(?:\.\d+)? (\d+)(?: GMT)?$/.exec(text);
  if (!m) throw new Error(`unexpected node time ${text}`);
  const d = new Date(0);
  d.setUTCFullYear(Number(m[6]), 'JanFebMarAprMayJunJulAugSepOctNovDec'.indexOf(m[1]!) / 3, Number(m[2]));
  d.setUTCHours(Number(m[3]), Number(m[4]), Number(m[5]), 0);
  return d.toISOString();
}

/** DNS names and IP addresses from node's subjectAltName string, or undefined when it is not plain. */
function nodeHostSans(text: string | undefined): string[] | undefined {
  if (text === undefined) return [];
  if (text.includes('"')) return undefined; // node quotes values with odd characters; compared elsewhere
  const out: string[] = [];
  for (const entry of text.split(', ')) {
    if (entry.startsWith('DNS:')) out.push(entry.slice(4));
    else if (entry.startsWith('IP Address:') && !entry.includes('<invalid')) {
      const ip = entry.slice(11);
      out.push(ip.includes(':') ? new URL(`http://[${ip}]/`).hostname.slice(1, -1) : ip);
    }
  }
  return out;
}

const nodeKeyTypes: Record<string, string> = { rsa: 'RSA', 'rsa-pss': 'RSA', ec: 'EC', ed25519: 'Ed25519', ed448: 'Ed448', dsa: 'DSA' };

function keyLoads(node: X509Certificate): boolean {
  try {
    return node.publicKey !== undefined;
  } catch {
    return false;
  }
}

interface Tally {
  dir: string;
  mutants: number;
  bothRead: number;
  bothRefuse: number;
  certfleetRefusesOpensslReads: Map<string, number>;
  problems: string[];
}

function check(der: Uint8Array, how: string, tally: Tally): void {
  tally.mutants++;
  const before = tally.problems.length;
  checkOne(der, how, tally);
  // Keys differ from run to run: keep the offending mutant so a failure can be replayed.
  if (tally.problems.length > before) {
    const file = join(tally.dir, `mutant-${tally.mutants}.der`);
    writeFileSync(file, der);
    tally.problems[tally.problems.length - 1] += ` [${file}]`;
  }
}

function checkOne(der: Uint8Array, how: string, tally: Tally): void {
  let info: CertificateInfo | undefined;
  let error: DerError | undefined;
  try {
    info = parseCertificate(der).info;
  } catch (err) {
    if (!(err instanceof DerError)) {
      tally.problems.push(`${how}: non-DerError escaped: ${String(err)}`);
      return;
    }
    error = err;
  }
  let node: X509Certificate | undefined;
  try {
    node = new X509Certificate(der);
  } catch {
    node = undefined;
  }
  if (error) {
    if (!/^[\w .-]+ at byte \d+: \S/.test(error.message) || error.offset < 0 || error.offset > der.length) {
      tally.problems.push(`${how}: unclear error "${error.message}"`);
    }
    if (!node) {
      tally.bothRefuse++;
      return;
    }
    if (error.field === 'notBefore' || error.field === 'notAfter') {
      const openssl = error.field === 'notBefore' ? node.validFrom : node.validTo;
      if (openssl !== 'Bad time value') tally.problems.push(`${how}: certfleet refuses ${error.field} OpenSSL reads as ${openssl}: ${error.message}`);
    }
    // A key certfleet cannot read must be one OpenSSL cannot load either, unless the defect is in the encoding itself.
    if (error.field.startsWith('subjectPublicKeyInfo') && !/not DER\)/.test(error.defect) && keyLoads(node)) {
      tally.problems.push(`${how}: certfleet refuses a key OpenSSL loads: ${error.message}`);
    }
    if (process.env.X509_MUTATION_DEBUG && !/Time|signature algorithm inside/.test(error.defect)) console.log(`${how}: ${error.message}`);
    const kind = error.defect.replace(/\d+/g, 'N').replace(/"[^"]*"/g, '"…"').slice(0, 80);
    tally.certfleetRefusesOpensslReads.set(kind, (tally.certfleetRefusesOpensslReads.get(kind) ?? 0) + 1);
    return;
  }
  if (!node) {
    tally.problems.push(`${how}: certfleet reads a certificate OpenSSL refuses (subject ${info!.subject})`);
    return;
  }
  tally.bothRead++;
  const c = info!;
  const differ = (field: string, ours: unknown, theirs: unknown): void => {
    if (JSON.stringify(ours) !== JSON.stringify(theirs)) tally.problems.push(`${how}: ${field} certfleet ${JSON.stringify(ours)} vs OpenSSL ${JSON.stringify(theirs)}`);
  };
  differ('serial', c.serialNumber.toUpperCase(), node.serialNumber === '0' ? '00' : node.serialNumber); // node's BN_bn2hex says 0 where openssl x509 says 00
  differ('notBefore', c.notBefore, nodeTime(node.validFrom));
  differ('notAfter', c.notAfter, nodeTime(node.validTo));
  // node prints a value of a non-string type as raw bytes where certfleet (and the -nameopt the
  // differential test uses) prints # and hex: compare the names without such values.
  if (!c.subject.includes('=#')) differ('subject', c.subject, nodeName(node.subject));
  if (!c.issuer.includes('=#')) differ('issuer', c.issuer, nodeName(node.issuer));
  const sanUnreadable = (c.extensionErrors ?? []).some((e) => e.startsWith('subjectAltName'));
  const theirs = nodeHostSans(node.subjectAltName ?? undefined);
  if (!sanUnreadable && theirs && node.subjectAltName !== null) {
    differ('SANs', c.sans.filter((s) => !/^(ip|email|uri|dirname|rid|othername):/.test(s) && s !== 'x400name' && s !== 'edipartyname'), theirs);
  }
  let key;
  try {
    key = node.publicKey;
  } catch {
    key = undefined; // OpenSSL cannot load the key itself (a point off the curve): nothing to compare
  }
  if (key) {
    const type = nodeKeyTypes[key.asymmetricKeyType ?? ''] ?? 'unknown';
    differ('keyType', c.keyType, type);
    const details = key.asymmetricKeyDetails ?? {};
    const bits = details.modulusLength ?? (details.namedCurve ? curveBitsByName(details.namedCurve) : undefined);
    if (bits !== undefined) differ('keyBits', c.keyBits, bits);
  }
}

describe('mutants of the corpus: certfleet agrees with OpenSSL or names the defect', () => {
  it('holds for every mutant', { timeout: 60_000 }, () => {
    const dir = tempDir('certfleet-x509-mut-');
    const seeds = buildCorpus(dir).filter((c) => !c.rejects).map((c) => c.der);
    const rnd = mulberry32(SEED);
    const tally: Tally = { dir, mutants: 0, bothRead: 0, bothRefuse: 0, certfleetRefusesOpensslReads: new Map(), problems: [] };
    for (const seed of seeds) {
      const lengths = lengthOffsets(seed);
      for (let i = 0; i < MUTANTS_PER_SEED; i++) {
        const { der, how } = mutate(seed, rnd, lengths);
        check(der, `seed ${seeds.indexOf(seed)} ${how}`, tally);
      }
    }
    const refused = [...tally.certfleetRefusesOpensslReads.entries()].sort((a, b) => b[1] - a[1]);
    console.log(`${tally.mutants} mutants: both read ${tally.bothRead}, both refuse ${tally.bothRefuse}, certfleet names a defect OpenSSL overlooks ${refused.reduce((n, [, k]) => n + k, 0)}`);
    for (const [kind, n] of refused.slice(0, 25)) console.log(`  ${n}\t${kind}`);
    expect(tally.problems.slice(0, 40)).toEqual([]);
    expect(tally.mutants).toBeGreaterThan(5000);
    expect(tally.bothRead).toBeGreaterThan(500);
  });
});
