/**
 * Traefik's file provider: `tls.certificates[]` and `tls.stores.*.defaultCertificate` in dynamic
 * configs, YAML or TOML. Given a static config (`providers.file.filename` / `.directory`), the
 * dynamic files it names are followed; all of them form one configuration, as in Traefik.
 *
 * Traefik picks a certificate per connection by matching SNI against the certificates' own names,
 * so a config never says which router gets which certificate. Names are tied to a certificate only
 * when that is certain: one certificate file in all, served for every TLS router that has no
 * ACME resolver. Otherwise serverNames stay empty.
 *
 * Relative paths are resolved from the directory of the file that holds them (Traefik itself
 * uses its working directory, which a config does not record).
 */
import { readdir, stat } from 'node:fs/promises';
import { dirname, extname, join, resolve } from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import { LineCounter, parseDocument, isNode } from 'yaml';
import type { ProxyConfigResult, ProxyReadOptions } from '../proxy-types.js';
import { pathInsideRoot, resolveConfigPath } from './config-paths.js';
import { ConfigReadContext, type ConfigPosition } from './read-context.js';
import { uniqueNames } from './server-names.js';
import { tomlValueLines } from './toml-lines.js';
import { hostsInRule } from './traefik-rules.js';

type Located = ConfigPosition & { line: number };
type Path = Array<string | number>;

const DYNAMIC_EXTENSIONS = new Set(['.yml', '.yaml', '.toml']);
const MAX_DIRECTORY_DEPTH = 16;

/** One parsed file: its data and a way to find the line of a value in it. */
interface ParsedConfig {
  data: unknown;
  lineOf(path: Path): number;
}

interface CertificateEntry extends Located {
  certificateFile: string;
  keyFile?: string;
}

export async function readTraefikConfig(file: string, options: ProxyReadOptions = {}): Promise<ProxyConfigResult> {
  const reader = new TraefikReader(new ConfigReadContext(options.root));
  await reader.readFile(resolve(file), undefined);
  reader.finish();
  return reader.context.result();
}

class TraefikReader {
  private readonly certificates: CertificateEntry[] = [];
  private readonly routerHosts: string[] = [];

  constructor(readonly context: ConfigReadContext) {}

  async readFile(file: string, from: Located | undefined): Promise<void> {
    await this.context.readNested(file, from, async (text) => {
      const parsed = this.parse(file, text);
      if (!parsed || !isRecord(parsed.data)) return;
      this.dynamic(file, parsed);
      await this.followStatic(file, parsed);
    });
  }

  private parse(file: string, text: string): ParsedConfig | undefined {
    if (extname(file).toLowerCase() === '.toml') {
      try {
        const data = parseToml(text);
        const located = tomlValueLines(text);
        return { data, lineOf: (path) => nearestLine(path, located) };
      } catch (err) {
        const line = err instanceof TomlError ? err.line : 1;
        this.context.error({ file, line }, `not valid TOML: ${firstLine((err as Error).message)}`);
        return undefined;
      }
    }
    const lineCounter = new LineCounter();
    const doc = parseDocument(text, { lineCounter, uniqueKeys: false });
    if (doc.errors.length > 0) {
      for (const error of doc.errors) {
        this.context.error({ file, line: error.linePos?.[0].line ?? 1 }, `not valid YAML: ${firstLine(error.message)}`);
      }
      return undefined;
    }
    return {
      data: doc.toJS(),
      lineOf(path) {
        const node = doc.getIn(path, true);
        const offset = isNode(node) ? node.range?.[0] : undefined;
        return offset === undefined ? 1 : lineCounter.linePos(offset).line;
      },
    };
  }

  /** The dynamic-config parts: certificates and the host names of TLS routers. */
  private dynamic(file: string, parsed: ParsedConfig): void {
    const tls = field(parsed.data, 'tls');
    const certificates = field(tls.value, 'certificates');
    if (Array.isArray(certificates.value)) {
      certificates.value.forEach((entry, index) => {
        this.certificate(file, parsed, [tls.key!, certificates.key!, index], entry);
      });
    }
    const stores = field(tls.value, 'stores');
    if (isRecord(stores.value)) {
      for (const [storeName, store] of Object.entries(stores.value)) {
        const defaultCertificate = field(store, 'defaultCertificate');
        if (defaultCertificate.value !== undefined) {
          this.certificate(file, parsed, [tls.key!, stores.key!, storeName, defaultCertificate.key!], defaultCertificate.value);
        }
      }
    }
    for (const protocol of ['http', 'tcp']) {
      const routers = field(field(parsed.data, protocol).value, 'routers').value;
      if (!isRecord(routers)) continue;
      for (const router of Object.values(routers)) {
        const routerTls = field(router, 'tls').value;
        const rule = field(router, 'rule').value;
        if (routerTls === undefined || routerTls === false || typeof rule !== 'string') continue;
        // Routers with an ACME resolver get certificates from it, not from the files.
        if (field(routerTls, 'certResolver').value !== undefined || field(routerTls, 'passthrough').value === true) continue;
        this.routerHosts.push(...hostsInRule(rule));
      }
    }
  }

  private certificate(file: string, parsed: ParsedConfig, path: Path, entry: unknown): void {
    const certField = field(entry, 'certFile');
    const keyField = field(entry, 'keyFile');
    const line = typeof certField.value === 'string' ? parsed.lineOf([...path, certField.key!]) : parsed.lineOf(path);
    const at = { file, line };
    const certificateFile = this.path(certField.value, at, 'certFile');
    if (certificateFile === undefined) return;
    const keyFile = keyField.value === undefined ? undefined : this.path(keyField.value, at, 'keyFile');
    this.certificates.push({ ...at, certificateFile, ...(keyFile === undefined ? {} : { keyFile }) });
  }

  private path(value: unknown, at: Located, name: string): string | undefined {
    if (typeof value !== 'string' || value === '') {
      this.context.error(at, `${name} is missing or not a string`);
      return undefined;
    }
    if (value.includes('-----BEGIN')) {
      this.context.error(at, `${name} holds the PEM itself rather than a file path; not inventoried`);
      return undefined;
    }
    if (value.includes('{{')) {
      this.context.error(at, `${name} ${value} is a Go template Traefik fills in at run time; it cannot be resolved from the config`);
      return undefined;
    }
    return resolveConfigPath(value, dirname(at.file), this.context.root);
  }

  /** A static config names the dynamic files: follow them. */
  private async followStatic(file: string, parsed: ParsedConfig): Promise<void> {
    const providers = field(parsed.data, 'providers');
    const fileProvider = field(providers.value, 'file');
    if (!isRecord(fileProvider.value)) return;
    const base: Path = [providers.key!, fileProvider.key!];
    for (const name of ['filename', 'directory']) {
      const option = field(fileProvider.value, name);
      if (typeof option.value !== 'string') continue;
      const at = { file, line: parsed.lineOf([...base, option.key!]) };
      const target = resolveConfigPath(option.value, dirname(file), this.context.root);
      if (name === 'filename') await this.readFile(target, at);
      else await this.readDirectory(target, at, 0);
    }
  }

  private async readDirectory(dir: string, at: Located, depth: number): Promise<void> {
    let names: string[];
    try {
      names = (await readdir(await pathInsideRoot(dir, this.context.root))).sort();
    } catch (err) {
      this.context.error(at, `cannot list the dynamic config directory ${dir}: ${(err as Error).message}`);
      return;
    }
    for (const name of names) {
      if (name.startsWith('.')) continue;
      const path = join(dir, name);
      const info = await stat(await pathInsideRoot(path, this.context.root)).catch(() => undefined);
      if (info?.isDirectory() && depth < MAX_DIRECTORY_DEPTH) await this.readDirectory(path, at, depth + 1);
      else if (info?.isFile() && DYNAMIC_EXTENSIONS.has(extname(name).toLowerCase())) await this.readFile(path, at);
    }
  }

  finish(): void {
    const distinctFiles = new Set(this.certificates.map((c) => c.certificateFile));
    const names = distinctFiles.size === 1 ? uniqueNames(this.routerHosts) : [];
    for (const entry of this.certificates) {
      this.context.bindings.push({
        proxy: 'traefik',
        configFile: entry.file,
        line: entry.line,
        serverNames: names,
        certificateFile: entry.certificateFile,
        ...(entry.keyFile === undefined ? {} : { keyFile: entry.keyFile }),
      });
    }
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A field looked up case-insensitively (Traefik's own config loader ignores key case). */
function field(container: unknown, name: string): { key?: string; value: unknown } {
  if (!isRecord(container)) return { value: undefined };
  const wanted = name.toLowerCase();
  const key = Object.keys(container).find((k) => k.toLowerCase() === wanted);
  return key === undefined ? { value: undefined } : { key, value: container[key] };
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}

/** The line of a path, or of its nearest ancestor that is written (a table given only by its header). */
function nearestLine(path: Path, located: (path: Path) => number | undefined): number {
  for (let length = path.length; length > 0; length--) {
    const line = located(path.slice(0, length));
    if (line !== undefined) return line;
  }
  return 1;
}
