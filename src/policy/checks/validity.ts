import { finding, findingKinds } from '../findings.js';
import type { CertificateCheck } from './types.js';

const DAY_MS = 86_400_000;

function days(ms: number): string {
  const d = ms / DAY_MS;
  return d >= 2 ? `${Math.floor(d)} days` : `${Math.max(1, Math.round(ms / 3_600_000))} hours`;
}

export const expired: CertificateCheck = (cert, { now }) => {
  const notAfter = Date.parse(cert.notAfter);
  if (notAfter >= now) return undefined;
  return finding(findingKinds.expired, `expired ${days(now - notAfter)} ago (${cert.notAfter})`);
};

export const notYetValid: CertificateCheck = (cert, { now }) => {
  const notBefore = Date.parse(cert.notBefore);
  if (notBefore <= now) return undefined;
  return finding(findingKinds.notYetValid, `not valid until ${cert.notBefore} (in ${days(notBefore - now)})`);
};

/** Less than a third of the lifetime left: where certbot, lego and CertMagic renew. */
export const expiring: CertificateCheck = (cert, { now }) => {
  const notBefore = Date.parse(cert.notBefore);
  const notAfter = Date.parse(cert.notAfter);
  const left = notAfter - now;
  if (left < 0 || now < notBefore || left >= (notAfter - notBefore) / 3) return undefined;
  return finding(findingKinds.expiring, `expires in ${days(left)} (${cert.notAfter}), less than a third of its ${cert.lifetimeDays}-day lifetime`);
};
