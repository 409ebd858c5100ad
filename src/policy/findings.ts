/**
 * Every finding certfleet can report: a stable id, its default severity and what to do about it.
 * Ids are part of the JSON contract (and SARIF rule ids): never rename one.
 */
import type { Finding, Severity } from '../inventory/model.js';

export interface FindingKind {
  id: string;
  severity: Severity;
  title: string;
  fix: string;
}

export const findingKinds = {
  expired: { id: 'expired', severity: 'error', title: 'Certificate has expired', fix: 'Renew and deploy a new certificate.' },
  notYetValid: { id: 'not-yet-valid', severity: 'warning', title: 'Certificate is not valid yet', fix: 'Check the issuing clock, or wait before deploying it.' },
  expiring: {
    id: 'expiring',
    severity: 'warning',
    title: 'Less than a third of the lifetime is left',
    fix: 'Renew now; automate renewal at two thirds of the lifetime (or with ACME ARI).',
  },
  lifetimeExceedsPolicy: {
    id: 'lifetime-exceeds-policy',
    severity: 'warning',
    title: 'Lifetime longer than the CA/Browser Forum maximum in force at issuance',
    fix: 'Publicly trusted CAs may not issue this; replace it with a certificate within the limit.',
  },
  weakKey: { id: 'weak-key', severity: 'error', title: 'Weak key', fix: 'Re-key with ECDSA P-256 or RSA 2048 or larger.' },
  weakSignature: { id: 'weak-signature', severity: 'error', title: 'Weak signature algorithm (SHA-1 or MD5)', fix: 'Reissue with a SHA-256 or stronger signature.' },
  selfSigned: { id: 'self-signed', severity: 'warning', title: 'Self-signed leaf certificate', fix: 'Use a certificate from a CA clients trust (ACME).' },
  hostnameMismatch: {
    id: 'hostname-mismatch',
    severity: 'error',
    title: 'Served for a name the certificate does not cover',
    fix: 'Add the name to the certificate (SAN), or serve the right certificate for it.',
  },
  incompleteChain: {
    id: 'incomplete-chain',
    severity: 'error',
    title: 'Leaf served without the intermediate it needs',
    fix: 'Serve the full chain (fullchain.pem), not the leaf alone.',
  },
  untrustedChain: {
    id: 'untrusted-chain',
    severity: 'error',
    title: 'Served chain does not validate',
    fix: 'Serve a chain to a trusted root, or pass the private root with --ca.',
  },
  keyMismatch: { id: 'key-mismatch', severity: 'error', title: "Private key does not belong to the certificate", fix: 'Point the proxy at the key the certificate was issued for.' },
  keyFilePermissions: {
    id: 'key-file-permissions',
    severity: 'error',
    title: 'Private key readable by group or others',
    fix: 'chmod 600 the key file (and own it by the service user).',
  },
  orphanedKey: { id: 'orphaned-key', severity: 'warning', title: 'Private key no certificate uses', fix: 'Delete it if nothing needs it, or find its certificate.' },
  encryptedKey: {
    id: 'encrypted-key',
    severity: 'info',
    title: 'Encrypted private key (not opened)',
    fix: 'Give its password (--password-env / --password-file) to match it to a certificate.',
  },
  mustStaple: {
    id: 'must-staple',
    severity: 'warning',
    title: 'OCSP Must-Staple certificate',
    fix: 'Let\'s Encrypt and others no longer run OCSP; reissue without Must-Staple.',
  },
} as const satisfies Record<string, FindingKind>;

export type FindingKindName = keyof typeof findingKinds;

export function finding(kind: FindingKind, message: string, location?: string): Finding {
  const f: Finding = { id: kind.id, severity: kind.severity, message };
  if (location !== undefined) f.location = location;
  return f;
}
