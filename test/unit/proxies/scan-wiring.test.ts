/**
 * From the options to the readers: `-D` names for Apache's <IfDefine> (`inventory.apacheDefines`,
 * `--apache-define`), and site files a scanned `sites-enabled/` holds, read without their main config.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { toInventoryFlags } from '../../../src/cli/inventory-run.js';
import { resolveInventoryOptions } from '../../../src/config/inventory-options.js';
import { validateConfig } from '../../../src/config/load.js';
import type { InventoryResult } from '../../../src/inventory/model.js';
import { runInventory } from '../../../src/inventory/scan.js';
import { shippedTimeline } from '../../../src/policy/timeline.js';
import { issue, tempDir, writeFile } from '../../helpers/pki.js';

describe('apache defines option', () => {
  it('joins the config file list and the repeated flag', () => {
    const config = validateConfig({ inventory: { apache: '/etc/httpd/conf/httpd.conf', apacheDefines: 'SSL' } }, 'x');
    const flags = toInventoryFlags([], { apacheDefine: ['HTTP2', 'STATUS'] });
    const ctx = { cwd: '/work', env: {}, now: new Date('2026-11-22T00:00:00Z'), configFile: undefined };
    expect(resolveInventoryOptions(config, flags, ctx).options.apacheDefines).toEqual(['SSL', 'HTTP2', 'STATUS']);
  });
});

describe('inventory of scanned sites-enabled directories', () => {
  let dir: string;

  beforeAll(async () => {
    dir = tempDir();
    for (const name of ['apache', 'nginx']) {
      const issued = await issue({ commonName: `${name}.example`, sans: [`${name}.example`], days: 60, key: 'ec-p256' });
      writeFile(join(dir, 'certs', `${name}.pem`), issued.certPem + issued.keyPem, 0o600);
    }
    const apacheSite = `<IfDefine SSL>\n<VirtualHost *:443>\n  ServerName apache.example\n  SSLEngine on\n  SSLCertificateFile ${dir}/certs/apache.pem\n</VirtualHost>\n</IfDefine>\n`;
    writeFile(join(dir, 'etc', 'apache2', 'sites-enabled', 'site.conf'), apacheSite);
    const nginxSite = `server {\n  listen 443 ssl;\n  server_name nginx.example;\n  ssl_certificate ${dir}/certs/nginx.pem;\n  ssl_certificate_key ${dir}/certs/nginx.pem;\n}\n`;
    writeFile(join(dir, 'etc', 'nginx', 'sites-enabled', 'site'), nginxSite);
  });

  const scan = (apacheDefines?: string[]): Promise<InventoryResult> =>
    runInventory({
      paths: [join(dir, 'etc')],
      proxyConfigs: [],
      detectProxyConfigs: true,
      ...(apacheDefines ? { apacheDefines } : {}),
      endpoints: [],
      passwords: [],
      extraCa: [],
      exclude: [],
      endpointConcurrency: 1,
      connectTimeoutMs: 1000,
      handshakeTimeoutMs: 1000,
      workers: 0,
      timeline: shippedTimeline(),
      now: new Date(),
    });

  const servedBy = (result: InventoryResult): string[] =>
    result.certificates.flatMap((c) => c.sources.flatMap((s) => (s.kind === 'proxy' ? [`${s.proxy}:${s.serverNames.join(',')}`] : []))).sort();

  it('reads the site files it finds, and the <IfDefine> sections the -D names open', async () => {
    const plain = await scan();
    expect(plain.errors).toEqual([]);
    expect(servedBy(plain)).toEqual(['nginx:nginx.example']);
    expect(servedBy(await scan(['SSL']))).toEqual(['apache:apache.example', 'nginx:nginx.example']);
  });
});
