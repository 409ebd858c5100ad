/**
 * HAProxy: the certificates `bind` lines of frontends and listen sections serve, through `crt`
 * (a combined PEM, or a directory of them), `default-crt` and `crt-list` files (one certificate a
 * line, with the SNI names it answers for). `crt-base` / `key-base` / `default-path` in `global`
 * are honoured.
 *
 * Relative paths with no `crt-base`: HAProxy resolves them from its working directory, which a
 * config does not record; this reader uses the directory of the config file instead (what
 * `default-path config` would do), the only choice that works for a config copied elsewhere.
 *
 * The key: inside the combined PEM, unless a `<certificate path>.key` file sits beside it (HAProxy
 * loads that when the PEM has no key; with `ssl-load-extra-del-ext`, `name.crt` pairs with
 * `name.key`). A crt-list entry may also name it (`[key file]`, HAProxy 3.x).
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
/** Sections whose `bind` lines accept client connections. */
const SERVING_SECTIONS = new Set(['frontend', 'listen']);
/** Companion files HAProxy never loads as certificates from a `crt` directory. */
const RESERVED_EXTENSIONS = ['.key', '.ocsp', '.issuer', '.sctl'];

interface GlobalSettings {
  crtBase?: string;
  keyBase?: string;
  /** Where relative paths start (see the module comment). */
  baseDir: string;
  loadKeyFiles: boolean;
  deleteExtension: boolean;
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

  constructor(
    private readonly context: ConfigReadContext,
    private readonly configDir: string,
  ) {
    this.settings = { baseDir: configDir, loadKeyFiles: true, deleteExtension: false };
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
        continue;
      }
      if (section === 'global') this.globalSetting(keyword, words.slice(1), at);
      else if (keyword === 'bind' && SERVING_SECTIONS.has(section)) await this.bind(words.slice(2), at);
    }
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
      else await this.crt(this.certificatePath(value.value), at, []);
    }
  }

  private certificatePath(written: string): string {
    return resolveConfigPath(written, this.settings.crtBase ?? this.settings.baseDir, this.context.root);
  }

  /** A PEM file or a directory of them. */
  private async crt(path: string, at: Located, serverNames: string[], keyFile?: string): Promise<void> {
    let isDirectory = false;
    try {
      isDirectory = (await stat(await pathInsideRoot(path, this.context.root))).isDirectory();
    } catch {
      // Missing: still a binding, so the inventory reports the missing certificate where it is needed.
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

  private async addBinding(certificateFile: string, at: Located, serverNames: string[], keyFile: string | undefined): Promise<void> {
    const key = keyFile ?? (await this.companionKey(certificateFile));
    this.context.bindings.push({
      proxy: 'haproxy',
      configFile: at.file,
      line: at.line,
      serverNames,
      certificateFile,
      ...(key === undefined ? {} : { keyFile: key }),
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
        await this.crt(this.certificatePath(certificate.value), at, names, keyFile);
      }
    });
  }
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
