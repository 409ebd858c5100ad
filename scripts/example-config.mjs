// The quick start's config for one run: examples/quickstart/certfleet.config.yaml (committed, paths
// relative to it) copied into the run's output directory with this run's CA, ports and paths, and
// a stand-in web server that serves what certfleet deployed (so `verify` has something to ask).
// Plain Node ESM (no build needed).
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, createSecureContext } from 'node:tls';
import { once } from 'node:events';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { parseDocument } from 'yaml';

export const DEPLOY_FILES = ['cert', 'chain', 'fullchain', 'key', 'combined'];

/**
 * Writes `outPath` from `templatePath`: acme.server and acme.caBundle name the local Pebble, each
 * http-01 standalone listener takes Pebble's validation port, each verify endpoint on 127.0.0.1
 * takes `verifyPort`, and every path is rewritten relative to the new file, the template's out/
 * becoming the run's directory (comments are kept).
 * Returns the config as data, with absolute paths.
 */
export function writeRunConfig(templatePath, outPath, { directoryUrl, caBundlePath, httpPort, verifyPort }) {
  const from = dirname(templatePath);
  const to = dirname(outPath);
  const doc = parseDocument(readFileSync(templatePath, 'utf8'));
  // The template writes the run's files under out/ beside it; they go to the run's directory.
  const templateOut = join(from, 'out');
  const moved = (value) => {
    const path = resolve(from, value);
    const inOut = relative(templateOut, path);
    const target = inOut.startsWith('..') || isAbsolute(inOut) ? path : join(to, inOut);
    return relative(to, target) || '.';
  };

  doc.setIn(['stateDir'], moved(doc.getIn(['stateDir'])));
  doc.setIn(['acme', 'server'], directoryUrl);
  doc.setIn(['acme', 'caBundle'], relative(to, caBundlePath));
  const paths = doc.getIn(['inventory', 'paths']);
  if (paths) paths.items.forEach((item, i) => doc.setIn(['inventory', 'paths', i], moved(item.value)));
  const certificates = doc.getIn(['certificates']).items;
  certificates.forEach((_c, i) => {
    if (doc.getIn(['certificates', i, 'challenge', 'standalone'])) doc.setIn(['certificates', i, 'challenge', 'standalone', 'port'], httpPort);
    for (const file of DEPLOY_FILES) {
      const value = doc.getIn(['certificates', i, 'deploy', file]);
      if (value !== undefined) doc.setIn(['certificates', i, 'deploy', file], moved(value));
    }
    const verify = doc.getIn(['certificates', i, 'verify']);
    if (verify) verify.items.forEach((item, j) => doc.setIn(['certificates', i, 'verify', j], String(item.value).replace(/^127\.0\.0\.1:\d+/, `127.0.0.1:${verifyPort}`)));
  });
  const fromHere = relative(to, templatePath);
  const header = `# Written by npm run example for one run, from ${fromHere.startsWith('../..') ? templatePath : fromHere}: edit that file instead.\n`;
  writeFileSync(outPath, header + doc.toString({ lineWidth: 0 }));

  const config = parseDocument(readFileSync(outPath, 'utf8')).toJS();
  for (const c of config.certificates) {
    for (const file of DEPLOY_FILES) if (c.deploy?.[file]) c.deploy[file] = resolve(to, c.deploy[file]);
  }
  return config;
}

/**
 * A TLS server on 127.0.0.1:`port` standing in for nginx/HAProxy: on every handshake it reads the
 * files certfleet deployed for the name asked (SNI), so it serves a new certificate as soon as
 * certfleet switches it, as a server reloaded by a deploy command would.
 */
export async function startStandInServer(port, certificates) {
  const byName = new Map();
  for (const c of certificates) for (const d of c.domains) byName.set(d.toLowerCase(), c.deploy ?? {});
  const read = (path) => (path ? readFileSync(path, 'utf8') : '');
  const server = createServer({
    SNICallback(servername, callback) {
      const files = byName.get(servername.toLowerCase());
      if (!files) return callback(new Error(`no certificate for ${servername}`));
      try {
        const key = read(files.key ?? files.combined);
        const cert = files.combined ? read(files.combined) : files.fullchain ? read(files.fullchain) : read(files.cert) + read(files.chain);
        callback(null, createSecureContext({ key, cert }));
      } catch (err) {
        // Not deployed yet: the handshake fails, as a server without its files would.
        callback(err);
      }
    },
  });
  server.on('tlsClientError', () => {});
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return {
    close: () =>
      new Promise((done) => {
        server.close(() => done());
      }),
  };
}
