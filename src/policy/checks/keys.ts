import type { Finding, KeyRecord } from '../../inventory/model.js';
import { finding, findingKinds } from '../findings.js';

export function checkKey(key: KeyRecord): Finding[] {
  const out: Finding[] = [];
  // A key in a password-protected container is less exposed than a plaintext one, so it warns.
  if (key.mode !== undefined && (key.mode & 0o044) !== 0) {
    const f = finding(
      findingKinds.keyFilePermissions,
      `mode ${(key.mode & 0o777).toString(8).padStart(4, '0')}: readable by ${key.mode & 0o004 ? 'everyone' : 'its group'}`,
    );
    if (key.encrypted) f.severity = 'warning';
    out.push(f);
  }
  if (key.fingerprintSha256 === undefined) {
    out.push(finding(findingKinds.encryptedKey, 'encrypted; no configured password opened it, so it cannot be matched to a certificate'));
  } else if (!key.matched) {
    out.push(finding(findingKinds.orphanedKey, `no certificate found for this ${key.keyType} ${key.keyBits}-bit key`));
  }
  return out;
}
