// The baseline the issue names: a bare sequential loop that reads each file and parses every
// certificate in it with crypto.X509Certificate. No checks, no output.
import { X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export function baselineLoop(dir) {
  let certificates = 0;
  for (const sub of readdirSync(dir, { withFileTypes: true })) {
    if (!sub.isDirectory()) continue;
    const folder = join(dir, sub.name);
    for (const name of readdirSync(folder)) {
      const data = readFileSync(join(folder, name));
      if (data[0] === 0x30) {
        new X509Certificate(data);
        certificates++;
        continue;
      }
      const text = data.toString('latin1');
      let from = 0;
      for (;;) {
        const begin = text.indexOf('-----BEGIN CERTIFICATE-----', from);
        if (begin < 0) break;
        const end = text.indexOf('-----END CERTIFICATE-----', begin);
        new X509Certificate(text.slice(begin, end + 25));
        certificates++;
        from = end + 25;
      }
    }
  }
  return certificates;
}
