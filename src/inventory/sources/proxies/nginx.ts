/**
 * nginx: which certificate/key pairs each server block serves. Follows `include` (globs allowed,
 * relative to the conf prefix, the main config's directory, as nginx resolves them), applies
 * nginx's inheritance (a server without its own `ssl_certificate` uses its http/stream/mail
 * block's), and pairs several certificates in one server (RSA + ECDSA) with their keys in order.
 *
 * A file of server-level directives (a `sites-enabled/` file: `server { ... }` blocks with no
 * `http` around them) is read as nginx reads it when `http {}` includes it: as the inside of an
 * http block. Only a file that also holds main-context blocks is a main config, where nginx
 * refuses a `server` at the top.
 */
import { dirname, resolve } from 'node:path';
import type { ProxyConfigResult, ProxyReadOptions } from '../proxy-types.js';
import { hasVariable, resolveConfigPath } from './config-paths.js';
import { expandGlob, hasGlob } from './include-glob.js';
import { parseNginxConfig, type NginxDirective } from './nginx-parser.js';
import { ConfigReadContext } from './read-context.js';
import { uniqueNames } from './server-names.js';

/** Top-level contexts whose servers can speak TLS. */
const TLS_CONTEXTS = new Set(['http', 'stream', 'mail']);
/** Blocks only a main config holds at its top level. */
const MAIN_CONTEXT_BLOCKS = new Set([...TLS_CONTEXTS, 'events']);
/** Directives that make a file without main-context blocks an http-level include. */
const HTTP_LEVEL = new Set(['server', 'ssl_certificate', 'ssl_certificate_key']);

export async function readNginxConfig(mainFile: string, options: ProxyReadOptions = {}): Promise<ProxyConfigResult> {
  const main = resolve(mainFile);
  const reader = new NginxReader(new ConfigReadContext(options.root), dirname(main));
  const directives = await reader.load(main, undefined);
  if (directives) reader.collect(reader.mainContext(directives, main));
  return reader.context.result();
}

class NginxReader {
  constructor(
    readonly context: ConfigReadContext,
    /** nginx's conf prefix: relative includes and certificate paths start here. */
    private readonly prefix: string,
  ) {}

  /** Parse a file and splice in everything it includes, recursively. */
  async load(file: string, from: NginxDirective | undefined): Promise<NginxDirective[] | undefined> {
    return this.context.readNested(file, from, async (text) => {
      const { directives, errors } = parseNginxConfig(text, file);
      for (const error of errors) this.context.error({ file, line: error.line }, error.message);
      return this.expandIncludes(directives);
    });
  }

  private async expandIncludes(directives: NginxDirective[]): Promise<NginxDirective[]> {
    const out: NginxDirective[] = [];
    for (const directive of directives) {
      if (directive.name === 'include' && !directive.block) {
        out.push(...(await this.include(directive)));
        continue;
      }
      if (directive.block) directive.block = await this.expandIncludes(directive.block);
      out.push(directive);
    }
    return out;
  }

  private async include(directive: NginxDirective): Promise<NginxDirective[]> {
    const [pattern] = directive.args;
    if (directive.args.length !== 1 || pattern === undefined) {
      this.context.error(directive, `"include" takes one argument, found ${directive.args.length}`);
      return [];
    }
    if (hasVariable(pattern)) {
      this.context.error(directive, `include path ${pattern} holds a variable; nginx does not expand variables here either`);
      return [];
    }
    const target = resolveConfigPath(pattern, this.prefix, this.context.root);
    // Like nginx: a wildcard that matches nothing is fine, a plain path that is missing is not.
    const files = hasGlob(target) ? await expandGlob(target, this.context.root) : [target];
    const spliced: NginxDirective[] = [];
    for (const file of files) spliced.push(...((await this.load(file, directive)) ?? []));
    return spliced;
  }

  /**
   * The top level as nginx would see it: a file with server-level directives and no main-context
   * block is the inside of an `http {}` that includes it; in a main config a top-level `server`
   * is an error nginx stops on, reported here and left out.
   */
  mainContext(directives: NginxDirective[], file: string): NginxDirective[] {
    const isMainConfig = directives.some((d) => MAIN_CONTEXT_BLOCKS.has(d.name) && d.block);
    if (!isMainConfig) {
      if (!directives.some((d) => HTTP_LEVEL.has(d.name))) return directives;
      return [{ name: 'http', args: [], file, line: 1, block: directives }];
    }
    return directives.filter((d) => {
      if (!HTTP_LEVEL.has(d.name)) return true;
      this.context.error(d, `"${d.name}" directive is not allowed here: it belongs inside http {}, stream {} or mail {} (nginx refuses this config)`);
      return false;
    });
  }

  /** Walk the expanded tree and record a binding per certificate each TLS server serves. */
  collect(directives: NginxDirective[]): void {
    for (const context of directives) {
      if (!TLS_CONTEXTS.has(context.name) || !context.block) continue;
      const inherited = this.certificatesIn(context.block);
      let inheritedUsed = false;
      for (const server of context.block) {
        if (server.name !== 'server' || !server.block) continue;
        const own = this.certificatesIn(server.block);
        const usesInheritedCerts = own.certificates.length === 0;
        if (usesInheritedCerts && !speaksTls(server.block, context.name)) continue;
        const certificates = usesInheritedCerts ? inherited.certificates : own.certificates;
        // nginx inherits the two arrays separately: own keys may go with inherited certificates.
        const keys = own.keys.length > 0 ? own.keys : inherited.keys;
        if (usesInheritedCerts && certificates.length > 0) inheritedUsed = true;
        this.bind(certificates, keys, serverNames(server.block));
      }
      // Certificates set for the whole block that no TLS server uses: nginx still loads them.
      if (!inheritedUsed && inherited.certificates.length > 0) this.bind(inherited.certificates, inherited.keys, []);
    }
  }

  private certificatesIn(block: NginxDirective[]): { certificates: NginxDirective[]; keys: NginxDirective[] } {
    return {
      certificates: block.filter((d) => d.name === 'ssl_certificate'),
      keys: block.filter((d) => d.name === 'ssl_certificate_key'),
    };
  }

  private bind(certificates: NginxDirective[], keys: NginxDirective[], names: string[]): void {
    certificates.forEach((certificate, index) => {
      const certificateFile = this.filePath(certificate, 'certificate');
      if (certificateFile === undefined) return;
      const key = keys[index];
      if (!key) {
        this.context.error(certificate, `no "ssl_certificate_key" is defined for certificate ${certificate.args[0]} (nginx refuses this config)`);
      }
      const keyFile = key ? this.filePath(key, 'key') : undefined;
      this.context.bindings.push({
        proxy: 'nginx',
        configFile: certificate.file,
        line: certificate.line,
        serverNames: names,
        certificateFile,
        ...(keyFile === undefined ? {} : { keyFile }),
      });
    });
  }

  /** The file a `ssl_certificate[_key]` names, or undefined (reported) when it is not a plain path. */
  private filePath(directive: NginxDirective, what: 'certificate' | 'key'): string | undefined {
    const [written] = directive.args;
    if (directive.args.length !== 1 || written === undefined) {
      this.context.error(directive, `"${directive.name}" takes one argument, found ${directive.args.length}`);
      return undefined;
    }
    if (written.startsWith('data:')) {
      this.context.error(directive, `the ${what} is given inline (data:), not as a file; not inventoried`);
      return undefined;
    }
    if (what === 'key' && written.startsWith('engine:')) {
      this.context.error(directive, `the key lives in an OpenSSL engine (${written}), not in a file`);
      return undefined;
    }
    if (hasVariable(written)) {
      this.context.error(
        directive,
        `${what} path ${written} holds a variable that nginx fills in per connection; it cannot be resolved from the config`,
      );
      return undefined;
    }
    return resolveConfigPath(written, this.prefix, this.context.root);
  }
}

/** Whether a server that names no certificate of its own would use its block's (it listens with TLS). */
function speaksTls(block: NginxDirective[], context: string): boolean {
  return block.some(
    (d) =>
      (d.name === 'listen' && d.args.some((a) => a === 'ssl' || a === 'quic')) ||
      (d.name === 'ssl' && d.args[0] === 'on') ||
      (context === 'mail' && d.name === 'starttls' && d.args[0] !== 'off'),
  );
}

/**
 * The host names a server answers to, as a certificate must cover them: `.example.com` is
 * example.com and *.example.com; regular expressions (`~...`), the catch-all `_`, the empty name
 * and variables (`$hostname`) are not names a certificate can be checked against.
 */
function serverNames(block: NginxDirective[]): string[] {
  const names: string[] = [];
  for (const directive of block) {
    if (directive.name !== 'server_name') continue;
    for (const name of directive.args) {
      if (name === '' || name === '_' || name.startsWith('~') || name.includes('$')) continue;
      if (name.startsWith('.') && name.length > 1) names.push(name.slice(1), `*${name}`);
      else names.push(name);
    }
  }
  return uniqueNames(names);
}
