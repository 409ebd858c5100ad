import { finding, findingKinds } from '../findings.js';
import { isSelfSignedLeaf } from '../leaf-or-root.js';
import { validityPhaseAt } from '../timeline.js';
import type { CertificateCheck } from './types.js';

/** Longer than the CA/B Forum maximum in force at the certificate's notBefore (leaves only). */
export const lifetimeExceedsPolicy: CertificateCheck = (cert, { timeline }) => {
  if (cert.isCA || cert.selfSigned) return undefined;
  const phase = validityPhaseAt(timeline, cert.notBefore);
  if (!phase || cert.lifetimeDays <= phase.maxValidityDays) return undefined;
  return finding(
    findingKinds.lifetimeExceedsPolicy,
    `valid ${cert.lifetimeDays} days; certificates issued on or after ${phase.effective} may be valid at most ${phase.maxValidityDays} days (${phase.id})`,
  );
};

/** A self-signed leaf whatever its CA bit (leaf-or-root.ts says which self-signed certificates are leaves). */
export const selfSigned: CertificateCheck = (cert) =>
  isSelfSignedLeaf(cert) ? finding(findingKinds.selfSigned, `self-signed leaf (${cert.subject}${cert.isCA ? '; marked CA:TRUE, as openssl req -x509 does by default' : ''})`) : undefined;
