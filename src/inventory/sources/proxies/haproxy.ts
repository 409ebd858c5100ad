/**
 * HAProxy: the certificates `bind` lines of frontends, listen, log-forward and peers sections
 * serve, through `crt` (a combined PEM, or a directory of them), `default-crt` and `crt-list` files
 * (one certificate a line, with the SNI names it answers for), and `ssl-f-use crt` lines (3.2).
 * `crt-base` / `key-base` / `default-path` in `global` are honoured.
 *
 * Relative paths with no `crt-base`: HAProxy resolves them from its working directory, which a
 * config does not record; this reader uses the directory of the config file instead (what
 * `default-path config` would do), the only choice that works for a config copied elsewhere.
 *
 * The key: inside the combined PEM, unless a `<certificate path>.key` file sits beside it (HAProxy
 * loads that when the PEM has no key; with `ssl-load-extra-del-ext`, `name.crt` pairs with
 * `name.key`). A crt-list entry may also name it (`[key file]`, HAProxy 3.x).
 *
 * Multi-certificate bundles: a `crt site.pem` that does not exist loads `site.pem.dsa`,
 * `site.pem.ecdsa` and `site.pem.rsa`, those that exist, each as its own certificate (unless
 * `ssl-load-extra-files` leaves `bundle` out).
 *
 * crt-store sections (3.0): `load crt FILE [key FILE] [alias NAME]` declares a certificate under
 * the name HAProxy gives it: `@store/alias`, else `@store/FILE`, else (a store with no name) the
 * path itself; the store's own `crt-base` / `key-base` (the global ones by default) place the
 * files. A `crt` naming a declared certificate uses that declaration, with no companion files
 * looked for. A declared certificate that no `bind` uses is still loaded, so it is still listed.
 */
import { readdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { ProxyConfigResult, ProxyReadOptions } from '../proxy-types.js';
import { pathInsideRoot, resolveConfigPath } from './config-paths.js';
import { haproxyWords, type HaproxyWord } from './haproxy-words.js';
import { ConfigReadContext, type ConfigPosition } from './read-context.js';
import { uniqueNames } from './server-names.js';

type Located = ConfigPosition & { line: number };

const SECTIONS = new Set([
  'global', 'defaults', 'frontend', 'backend', 'listen', 'peers', 'resolvers', 'userlist', 'program',
  'http-errors', 'ring', 'cache', 'mailers', 'fcgi-app', 'crt-store', 'log-forward', 'traces',
]);
/** Sections whose `bind` lines accept TLS connections (log-forward: syslog over TLS; peers: other peers). */
const SERVING_SECTIONS = new Set(['frontend', 'listen', 'log-forward', 'peers']);
/** Sections where `ssl-f-use` assigns a certificate to the frontend. */
const SSL_F_USE_SECTIONS = new Set(['frontend', 'listen']);
/** The files a multi-certificate bundle `crt name` stands for, in HAProxy's order (SSL_SOCK_KEYTYPE_NAMES). */
const BUNDLE_EXTENSIONS = ['.dsa', '.ecdsa', '.rsa'];
/** Companion files HAProxy never loads as certificates from a `crt` directory. */
const RESERVED_EXTENSIONS = ['.key', '.ocsp', '.issuer', '.sctl'];

interface GlobalSettings {
  crtBase?: string;
  keyBase?: string;
  /** Where relative paths start (see the module comment). */
  baseDir: string;
  loadKeyFiles: boolean;
  loadBundles: boolean;
  deleteExtension: boolean;
}

/** The crt-store section being read. */
interface OpenStore {
  /** Empty for a store with no name. */
  name: string;
  crtBase?: string;
  keyBase?: string;
}

/** A certificate a crt-store declares. */
interface StoredCertificate extends Located {
  certificateFile: string;
  keyFile?: string;
  used: boolean;
}

export async function readHaproxyConfig(mainFile: string, options: ProxyReadOptions = {}): Promise<ProxyConfigResult> {
  const main = resolve(mainFile);
  const context = new ConfigReadContext(options.root);
  const reader = new HaproxyReader(context, dirname(main));
  await context.readNested(main, undefined, (text) => reader.readConfig(main, text));
  return context.result();
}

class HaproxyReader {
  private readonly settings: GlobalSettings;
  /** crt-store declarations by the name HAProxy stores them under (see storeName). */
  private readonly stored = new Map<string, StoredCertificate>();
  private store: OpenStore | undefined;

  constructor(
    private readonly context: ConfigReadContext,
    private readonly configDir: string,
  ) {
    this.settings = { baseDir: configDir, loadKeyFiles: true, loadBundles: true, deleteExtension: false };
  }

  async readConfig(file: string, text: string): Promise<void> {
    let section = '';
    const lines = text.split('\n');
    for (let index = 0; index < lines.length; index++) {
      const at = { file, line: index + 1 };
      const { words, error } = haproxyWords(lines[index]!);
      if (error) this.context.error(at, error);
      const keyword = words[0]?.value;
      if (keyword === undefined) continue;
      if (SECTIONS.has(keyword)) {
        section = keyword;
        this.store = keyword === 'crt-store' ? { name: words[1]?.value ?? '', ...this.globalBases() } : undefined;
        continue;
      }
      if (section === 'global') this.globalSetting(keyword, words.slice(1), at);
      else if (section === 'crt-store') this.storeLine(keyword, words.slice(1), at);
      else if (keyword === 'bind' && SERVING_SECTIONS.has(section)) await this.bind(words.slice(2), at);
      else if (keyword === 'ssl-f-use' && SSL_F_USE_SECTIONS.has(section)) await this.sslFUse(words.slice(1), at);
    }
    // HAProxy loads every declared certificate, served or not.
    for (const entry of this.stored.values()) {
      if (!entry.used) this.pushBinding(entry, [], entry.certificateFile, entry.keyFile);
    }
  }

  private globalBases(): { crtBase?: string; keyBase?: string } {
    return {
      ...(this.settings.crtBase === undefined ? {} : { crtBase: this.settings.crtBase }),
      ...(this.settings.keyBase === undefined ? {} : { keyBase: this.settings.keyBase }),
    };
  }

  /** `crt-base`, `key-base` and `load` inside a crt-store section. */
  private storeLine(keyword: string, args: HaproxyWord[], at: Located): void {
    const store = this.store;
    if (!store) return;
    if (keyword === 'crt-base' || keyword === 'key-base') {
      const base = this.literal(args[0], keyword, at);
      if (base === undefined) return;
      const resolved = resolveConfigPath(base, this.settings.baseDir, this.context.root);
      if (keyword === 'crt-base') store.crtBase = resolved;
      else store.keyBase = resolved;
      return;
    }
    if (keyword !== 'load') return;
    const options = new Map<string, HaproxyWord>();
    for (let i = 0; i + 1 < args.length; i += 2) options.set(args[i]!.value, args[i + 1]!);
    const crt = this.literal(options.get('crt'), 'load crt', at);
    if (crt === undefined) return;
    const key = options.has('key') ? this.literal(options.get('key'), 'key', at) : undefined;
    const alias = options.get('alias')?.value;
    const name = alias !== undefined ? `@${store.name}/${alias}` : storeName(store.name, crt, this.certificatePath(crt));
    if (this.stored.has(name)) {
      this.context.error(at, `crt-store certificate ${name} is already declared (HAProxy refuses this config)`);
      return;
    }
    this.stored.set(name, {
      ...at,
      certificateFile: resolveConfigPath(crt, store.crtBase ?? this.settings.baseDir, this.context.root),
      ...(key === undefined ? {} : { keyFile: resolveConfigPath(key, store.keyBase ?? this.settings.baseDir, this.context.root) }),
      used: false,
    });
  }

  /** A path argument's value, or undefined (reported) when it is missing or names an environment variable. */
  private literal(word: HaproxyWord | undefined, what: string, at: Located): string | undefined {
    if (word === undefined) {
      this.context.error(at, `"${what}" needs a path`);
      return undefined;
    }
    if (word.hasVariable) {
      this.context.error(at, `${what} ${word.value} holds an environment variable HAProxy fills in at start-up; it cannot be resolved from the config`);
      return undefined;
    }
    return word.value;
  }

  /** `ssl-f-use [crt <file>] [key <file>] [options...]` (HAProxy 3.2): a certificate for the frontend. */
  private async sslFUse(args: HaproxyWord[], at: Located): Promise<void> {
    const index = args.findIndex((w) => w.value === 'crt');
    if (index === -1) return;
    const crt = this.literal(args[index + 1], 'crt', at);
    if (crt === undefined) return;
    const keyIndex = args.findIndex((w) => w.value === 'key');
    const key = keyIndex === -1 ? undefined : this.literal(args[keyIndex + 1], 'key', at);
    const keyFile = key === undefined ? undefined : resolveConfigPath(key, this.settings.keyBase ?? this.settings.baseDir, this.context.root);
    await this.crtReference(crt, at, [], keyFile);
  }

  private globalSetting(keyword: string, args: HaproxyWord[], at: Located): void {
    const first = args[0]?.value;
    switch (keyword) {
      case 'crt-base':
      case 'key-base':
        if (first === undefined) return;
        if (args[0]!.hasVariable) {
          this.context.error(at, `${keyword} ${first} holds an environment variable; it cannot be resolved from the config`);
          return;
        }
        if (keyword === 'crt-base') this.settings.crtBase = resolveConfigPath(first, this.settings.baseDir, this.context.root);
        else this.settings.keyBase = resolveConfigPath(first, this.settings.baseDir, this.context.root);
        return;
      case 'default-path':
        if (first === 'config' || first === 'current') this.settings.baseDir = this.configDir;
        else if (first === 'parent') this.settings.baseDir = dirname(this.configDir);
        else if (first === 'origin' && args[1]) this.settings.baseDir = resolveConfigPath(args[1].value, this.configDir, this.context.root);
        return;
      case 'ssl-load-extra-files': {
        const kinds = args.map((a) => a.value);
        this.settings.loadKeyFiles = kinds.includes('all') || kinds.includes('key');
        this.settings.loadBundles = kinds.includes('all') || kinds.includes('bundle');
        return;
      }
      case 'ssl-load-extra-del-ext':
        this.settings.deleteExtension = true;
        return;
      default:
    }
  }

  /** The parameters of one `bind` line (after the address). */
  private async bind(params: HaproxyWord[], at: Located): Promise<void> {
    for (let i = 0; i < params.length; i++) {
      const param = params[i]!.value;
      if (param !== 'crt' && param !== 'default-crt' && param !== 'crt-list') continue;
      const value = params[++i];
      if (value === undefined) {
        this.context.error(at, `"${param}" needs a path`);
        continue;
      }
      if (value.hasVariable) {
        this.context.error(at, `${param} ${value.value} holds an environment variable HAProxy fills in at start-up; it cannot be resolved from the config`);
        continue;
      }
      // crt-base applies to the certificates a crt-list names, not to the list file itself.
      if (param === 'crt-list') await this.crtList(resolveConfigPath(value.value, this.settings.baseDir, this.context.root), at);
      else await this.crtReference(value.value, at, []);
    }
  }

  /**
   * A certificate as a `crt` names it: a crt-store declaration (`@store/name`, or a path a store
   * with no name declared), else a file, directory or bundle on disk.
   */
  private async crtReference(written: string, at: Located, serverNames: string[], keyFile?: string): Promise<void> {
    const path = written.startsWith('@') ? undefined : this.certificatePath(written);
    const entry = this.stored.get(path === undefined ? written : storeName('', written, path));
    if (entry) {
      entry.used = true;
      this.pushBinding(at, serverNames, entry.certificateFile, keyFile ?? entry.keyFile);
      return;
    }
    if (path === undefined) {
      this.context.error(at, `crt ${written}: no crt-store declares this certificate before this line (HAProxy refuses this config)`);
      return;
    }
    await this.crt(path, at, serverNames, keyFile);
  }

  private certificatePath(written: string): string {
    return resolveConfigPath(written, this.settings.crtBase ?? this.settings.baseDir, this.context.root);
  }

  /** A PEM file, a directory of them, or a multi-certificate bundle. */
  private async crt(path: string, at: Located, serverNames: string[], keyFile?: string): Promise<void> {
    let isDirectory = false;
    let exists = false;
    try {
      isDirectory = (await stat(await pathInsideRoot(path, this.context.root))).isDirectory();
      exists = true;
    } catch {
      // Missing: a bundle, or still a binding so the inventory reports the missing certificate where it is needed.
    }
    if (!exists && this.settings.loadBundles) {
      const members = await this.bundleMembers(path);
      // Each member pairs with its own companion key (`site.pem.rsa.key`), never a crt-list `key`.
      for (const member of members) await this.addBinding(member, at, serverNames, undefined);
      if (members.length > 0) return;
    }
    if (!isDirectory) {
      await this.addBinding(path, at, serverNames, keyFile);
      return;
    }
    let names: string[];
    try {
      names = (await readdir(await pathInsideRoot(path, this.context.root))).sort();
    } catch (err) {
      this.context.error(at, `cannot list certificate directory ${path}: ${(err as Error).message}`);
      return;
    }
    for (const name of names) {
      if (name.startsWith('.') || RESERVED_EXTENSIONS.some((ext) => name.endsWith(ext))) continue;
      const file = join(path, name);
      const info = await stat(await pathInsideRoot(file, this.context.root)).catch(() => undefined);
      if (info?.isFile()) await this.addBinding(file, at, serverNames, undefined);
    }
  }

  private async bundleMembers(path: string): Promise<string[]> {
    const members: string[] = [];
    for (const extension of BUNDLE_EXTENSIONS) {
      const member = `${path}${extension}`;
      const info = await stat(await pathInsideRoot(member, this.context.root)).catch(() => undefined);
      if (info?.isFile()) members.push(member);
    }
    return members;
  }

  private async addBinding(certificateFile: string, at: Located, serverNames: string[], keyFile: string | undefined): Promise<void> {
    this.pushBinding(at, serverNames, certificateFile, keyFile ?? (await this.companionKey(certificateFile)));
  }

  private pushBinding(at: Located, serverNames: string[], certificateFile: string, keyFile: string | undefined): void {
    this.context.bindings.push({
      proxy: 'haproxy',
      configFile: at.file,
      line: at.line,
      serverNames,
      certificateFile,
      ...(keyFile === undefined ? {} : { keyFile }),
    });
  }

  private async companionKey(certificateFile: string): Promise<string | undefined> {
    if (!this.settings.loadKeyFiles) return undefined;
    const candidate =
      this.settings.deleteExtension && certificateFile.endsWith('.crt') ? `${certificateFile.slice(0, -4)}.key` : `${certificateFile}.key`;
    const info = await stat(await pathInsideRoot(candidate, this.context.root)).catch(() => undefined);
    return info?.isFile() ? candidate : undefined;
  }

  /** `<crtfile> [<ssl options>] [[!]<sni filter> ...]` per line. */
  private async crtList(file: string, from: Located): Promise<void> {
    await this.context.readNested(file, from, async (text) => {
      const lines = text.split('\n');
      for (let index = 0; index < lines.length; index++) {
        const at = { file, line: index + 1 };
        const { words, error } = haproxyWords(lines[index]!);
        if (error) {
          this.context.error(at, error);
          continue;
        }
        const [certificate, ...rest] = words;
        if (certificate === undefined) continue;
        if (certificate.hasVariable) {
          this.context.error(at, `${certificate.value} holds an environment variable; it cannot be resolved from the config`);
          continue;
        }
        const parsed = splitCrtListOptions(rest.map((w) => w.value));
        if (parsed.error) this.context.error(at, parsed.error);
        const keyWritten = optionValue(parsed.options, 'key');
        const keyFile = keyWritten === undefined ? undefined : resolveConfigPath(keyWritten, this.settings.keyBase ?? this.settings.baseDir, this.context.root);
        // Negated filters carve names out of a wildcard; they are not names served.
        const names = uniqueNames(parsed.filters.filter((f) => !f.startsWith('!') && f !== '*'));
        await this.crtReference(certificate.value, at, names, keyFile);
      }
    });
  }
}

/**
 * The name HAProxy stores a crt-store certificate under when it has no alias: `@store/FILE` in a
 * named store (no doubled `/` before an absolute FILE), the path (after the global crt-base) in a
 * store with no name. Paths are compared resolved, as this reader resolves every `crt`.
 */
function storeName(store: string, written: string, resolved: string): string {
  if (store === '') return `path:${resolved}`;
  return `@${store}${written.startsWith('/') ? '' : '/'}${written}`;
}

/** Separate `[opt ...]` (which may be glued to its words: `[alpn h2]`) from the SNI filters. */
function splitCrtListOptions(words: string[]): { options: string[]; filters: string[]; error?: string } {
  if (!words[0]?.startsWith('[')) return { options: [], filters: words };
  const options: string[] = [];
  for (let i = 0; i < words.length; i++) {
    let word = words[i]!;
    if (i === 0) word = word.slice(1);
    const closes = word.endsWith(']');
    if (closes) word = word.slice(0, -1);
    if (word !== '') options.push(word);
    if (closes) return { options, filters: words.slice(i + 1) };
  }
  return { options, filters: [], error: 'unterminated "[" in crt-list ssl options' };
}

function optionValue(options: string[], name: string): string | undefined {
  const index = options.indexOf(name);
  return index === -1 ? undefined : options[index + 1];
}
