/**
 * A secret file's bytes (a key: the store's data key, an agent's own key pair), read with one rule
 * for its mode: a file group or others may access is a warning, not a refusal, since refusing would
 * stop renewals and deployments over what a chmod fixes. Node's error (ENOENT, EACCES) is thrown as
 * it is: what a missing or unreadable file means is the caller's to say.
 */
import { readFileSync, statSync } from 'node:fs';

/** The bytes of `path`; `warn` hears (with `label` before the path) when group or others may access it. */
export function readSecretFile(path: string, warn: (message: string) => void, label = ''): Buffer {
  const mode = statSync(path).mode;
  const content = readFileSync(path);
  if ((mode & 0o077) !== 0) warn(`${label}${path} is accessible to group or others (mode ${(mode & 0o777).toString(8).padStart(4, '0')}); chmod 600 it`);
  return content;
}
