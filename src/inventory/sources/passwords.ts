/**
 * Which passwords to try on a keystore or encrypted key. Rules come from the config and flags;
 * a rule without `match` applies to every file, one with a glob only to files it matches
 * (a glob without a slash matches the file name).
 */
import picomatch from 'picomatch';
import { isJavaCacertsName } from '../trust-stores.js';

export interface PasswordRule {
  match?: string;
  password: string;
}

/**
 * Java's cacerts ships with this password (every JDK, Debian's ca-certificates-java, RHEL's
 * /etc/pki/java/cacerts), and almost nobody changes it: a trust store's password protects its
 * integrity check, not secrets. Tried after the configured passwords, so a rule for the file wins.
 */
export const JAVA_CACERTS_DEFAULT_PASSWORD = 'changeit';

export function passwordChooser(rules: readonly PasswordRule[]): (path: string) => string[] {
  const compiled = rules.map((rule) => ({
    password: rule.password,
    test: rule.match === undefined ? () => true : picomatch(rule.match, { dot: true, basename: !rule.match.includes('/') }),
  }));
  return (path) => {
    const out: string[] = [];
    for (const rule of compiled) if (rule.test(path) && !out.includes(rule.password)) out.push(rule.password);
    if (isJavaCacertsName(path) && !out.includes(JAVA_CACERTS_DEFAULT_PASSWORD)) out.push(JAVA_CACERTS_DEFAULT_PASSWORD);
    // Keystores without a password are common (openssl pkcs12 -passout pass:): always try it last.
    if (!out.includes('')) out.push('');
    return out;
  };
}
