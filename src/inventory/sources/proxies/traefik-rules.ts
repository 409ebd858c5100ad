/**
 * Host names in a Traefik router rule: the arguments of `Host(...)` and `HostSNI(...)`, quoted
 * with backticks or double quotes, several per call (Traefik v2) or one (v3). Negated matchers
 * (`!Host(...)`), regular expressions (`HostRegexp`) and the catch-all `HostSNI(`*`)` name nothing
 * a certificate can be checked against.
 */
export function hostsInRule(rule: string): string[] {
  const hosts: string[] = [];
  const matcher = /(!\s*)?\b(Host|HostSNI)\s*\(([^)]*)\)/g;
  for (const match of rule.matchAll(matcher)) {
    if (match[1]) continue;
    for (const arg of (match[3] ?? '').matchAll(/`([^`]*)`|"((?:[^"\\]|\\.)*)"/g)) {
      const host = (arg[1] ?? arg[2] ?? '').trim();
      if (host !== '' && host !== '*') hosts.push(host);
    }
  }
  return hosts;
}
