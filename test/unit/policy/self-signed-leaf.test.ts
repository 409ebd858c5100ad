/**
 * Self-signed leaves made the way people make them: `openssl req -x509`, which marks the
 * certificate CA:TRUE by default. Whatever its CA bit, a self-signed certificate that names a host
 * or is served as a leaf is a leaf: `self-signed` fires, and a SHA-1 signature is `weak-signature`.
 * Only a real root (no host, not served, or held by a trust store) keeps both exemptions.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CertificateSource } from '../../../src/inventory/model.js';
import { checkCertificate } from '../../../src/policy/checks/index.js';
import { isSelfSignedLeaf, namesHost, type PlacedCertificate } from '../../../src/policy/leaf-or-root.js';
import { shippedTimeline } from '../../../src/policy/timeline.js';
import { parseCertificate, type CertificateInfo } from '../../../src/x509/certificate.js';
import { findPemBlocks } from '../../../src/x509/pem.js';
import { tempDir } from '../../helpers/pki.js';

const dir = tempDir('certfleet-req-x509-');
let counter = 0;

/** `openssl req -x509` with its defaults (CA:TRUE), plus whatever extra arguments are given. */
function reqX509(subject: string, hash: 'sha256' | 'sha1', ...extra: string[]): CertificateInfo {
  const out = join(dir, `c${counter++}.pem`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${out}.key`, '-out', out, '-subj', subject, '-days', '30', `-${hash}`, ...extra], {
    stdio: 'pipe',
  });
  return parseCertificate(findPemBlocks(readFileSync(out, 'latin1'))[0]!.der).info;
}

function ids(cert: PlacedCertificate): string[] {
  return checkCertificate(cert, { now: Date.now(), timeline: shippedTimeline() }).map((f) => f.id);
}

const servedByNginx: CertificateSource = {
  kind: 'proxy', location: '/etc/nginx/nginx.conf:12', proxy: 'nginx', configFile: '/etc/nginx/nginx.conf', line: 12,
  certificateFile: '/etc/ssl/private/site.pem', serverNames: ['intranet'], chainPosition: 0,
};
const inFile: CertificateSource = { kind: 'file', location: '/srv/site.pem', format: 'pem' };

describe('self-signed leaves made with openssl req -x509 (CA:TRUE by default)', () => {
  it('are self-signed leaves when the common name is a host, with a SHA-256 signature', () => {
    const cert = reqX509('/CN=www.example.test', 'sha256');
    expect(cert).toMatchObject({ isCA: true, selfSigned: true, weakSignature: false });
    expect(ids(cert)).toEqual(['self-signed']);
    expect(checkCertificate(cert, { now: Date.now(), timeline: shippedTimeline() })[0]!.message).toMatch(/CA:TRUE/);
  });

  it('are a weak signature too when signed with SHA-1', () => {
    const cert = reqX509('/CN=www.example.test', 'sha1');
    expect(cert).toMatchObject({ isCA: true, selfSigned: true, weakSignature: true, signatureAlgorithm: 'sha1WithRSAEncryption' });
    expect(ids(cert).sort()).toEqual(['self-signed', 'weak-signature']);
  });

  it('name a host through a DNS or IP subjectAltName, or a CN of localhost or an IP address', () => {
    expect(ids(reqX509('/O=Acme/CN=Acme Intranet', 'sha1', '-addext', 'subjectAltName=DNS:intranet.acme.test')).sort()).toEqual(['self-signed', 'weak-signature']);
    expect(ids(reqX509('/CN=Appliance', 'sha256', '-addext', 'subjectAltName=IP:192.0.2.7'))).toEqual(['self-signed']);
    expect(ids(reqX509('/CN=localhost', 'sha256'))).toEqual(['self-signed']);
    expect(ids(reqX509('/CN=2001:db8::1', 'sha256'))).toEqual(['self-signed']);
  });

  it('keep a real root (CA:TRUE, no host) exempt from both, unless it is served as a leaf', () => {
    const root = reqX509('/O=Acme/CN=Acme Private Root CA', 'sha1');
    expect(root).toMatchObject({ isCA: true, selfSigned: true, weakSignature: true });
    expect(ids(root)).toEqual([]);
    expect(ids({ ...root, sources: [inFile] })).toEqual([]);
    // Served as the first certificate by a proxy: whatever it looks like, clients get it as the leaf.
    expect(ids({ ...root, sources: [inFile, servedByNginx] }).sort()).toEqual(['self-signed', 'weak-signature']);
    // Further down a served chain it is still a root.
    expect(ids({ ...root, sources: [{ ...servedByNginx, chainPosition: 1 }] })).toEqual([]);
  });

  it('treat a trust anchor as a root even when its name looks like a host', () => {
    const izenpeLike = reqX509('/O=IZENPE S.A./CN=Izenpe.com', 'sha1');
    expect(isSelfSignedLeaf(izenpeLike)).toBe(true);
    expect(ids({ ...izenpeLike, trustAnchor: true })).toEqual([]);
  });

  it('still call a CA:FALSE self-signed certificate a leaf, whatever its name', () => {
    const cert = reqX509('/CN=Some Service', 'sha256', '-addext', 'basicConstraints=critical,CA:FALSE');
    expect(cert.isCA).toBe(false);
    expect(ids(cert)).toEqual(['self-signed']);
  });
});

describe('namesHost', () => {
  const base = reqX509('/CN=x', 'sha256');
  const named = (commonName: string | undefined, sans: string[] = []) => namesHost({ ...base, commonName, sans });

  it('reads DNS and IP SANs and host-like common names', () => {
    expect(named(undefined, ['www.example.test'])).toBe(true);
    expect(named(undefined, ['*.example.test'])).toBe(true);
    expect(named(undefined, ['10.0.0.1'])).toBe(true);
    expect(named(undefined, ['fe80::1'])).toBe(true);
    expect(named('mail.example.test')).toBe(true);
    expect(named('LOCALHOST')).toBe(true);
  });

  it('does not take a CA name, an e-mail or URI SAN, or a version-like string for a host', () => {
    expect(named('SSL.com EV Root Certification Authority ECC')).toBe(false);
    expect(named('Entrust.net Certification Authority (2048)')).toBe(false);
    expect(named('ACCVRAIZ1', ['email:accv@accv.es'])).toBe(false);
    expect(named('Root', ['uri:https://ca.example.test/'])).toBe(false);
    expect(named('1.2')).toBe(false);
    expect(named(undefined)).toBe(false);
  });
});
