/** The chain of per-certificate checks. Order is the order findings are listed in. */
import type { Finding } from '../../inventory/model.js';
import type { PlacedCertificate } from '../leaf-or-root.js';
import { lifetimeExceedsPolicy, selfSigned } from './issuance.js';
import { mustStaple, weakKey, weakSignature } from './strength.js';
import type { CertificateCheck, CheckContext } from './types.js';
import { expired, expiring, notYetValid } from './validity.js';

export const certificateChecks: readonly CertificateCheck[] = [
  expired,
  notYetValid,
  expiring,
  lifetimeExceedsPolicy,
  weakKey,
  weakSignature,
  selfSigned,
  mustStaple,
];

export function checkCertificate(cert: PlacedCertificate, context: CheckContext): Finding[] {
  const out: Finding[] = [];
  for (const check of certificateChecks) {
    const f = check(cert, context);
    if (f) out.push(f);
  }
  return out;
}

export type { CheckContext } from './types.js';
