/**
 * Apache httpd: the certificate/key (and chain) each TLS virtual host serves. Read in order, as
 * httpd reads at start-up: `Define` and `${NAME}` as they come, `Include`/`IncludeOptional`
 * (globs, directories) relative to `ServerRoot` (default: the main config's directory), and
 * directive names compared case-insensitively. mod_ssl's inheritance: a virtual host without its
 * own `SSLCertificateFile` uses the main server's; certificate, key and chain lists inherit
 * separately. No `SSLCertificateKeyFile`: the key is in the certificate file.
 *
 * `<IfModule [!]module>` and `<IfDefine [!]NAME>` are evaluated as httpd evaluates them while
 * reading (see apache-conditions.ts: modules from `LoadModule`, names from `Define` and the `-D`
 * flags given in the read options); other conditional sections (`<IfVersion>`, `<IfFile>`, ...)
 * are read as if true. `<Macro>` / `Use` are expanded as mod_macro does (apache-macros.ts); what
 * a macro serves is reported at the `Use` line that made it.
 */
import { stat, readdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { ProxyConfigResult, ProxyReadOptions } from '../proxy-types.js';
import { ApacheConditions, debianModuleLoads } from './apache-conditions.js';
import { apacheLines, apacheWords, substituteDefines } from './apache-lines.js';
import { substituteMacroArguments, type ApacheMacro } from './apache-macros.js';
import { pathInsideRoot, resolveConfigPath } from './config-paths.js';
import { expandGlob, hasGlob } from './include-glob.js';
import { ConfigReadContext, type ConfigPosition } from './read-context.js';
import { uniqueNames } from './server-names.js';

/** A place in a config that always has a line. */
type Located = ConfigPosition & { line: number };

interface PathDirective extends Located {
  written: string;
}

/** The main server or one `<VirtualHost>`: what it says about TLS. */
interface ServerScope {
  certificates: PathDirective[];
  keys: PathDirective[];
  chain?: PathDirective;
  serverName?: string;
  aliases: string[];
  sslEngine?: string;
}

interface OpenSection extends Located {
  /** Lower-case section name. */
  name: string;
}

const MAX_DIRECTORY_DEPTH = 16;
/** Macros using macros: deeper than any real config, and a guard against runaway expansion. */
const MAX_MACRO_DEPTH = 32;

/** What one file's reading carries from line to line (a macro's lines are read into the same state). */
interface ReadState {
  file: string;
  /** httpd requires every section to close in the file that opened it. */
  sections: OpenSection[];
  /** A false conditional being skipped: its header and how deep inside it the reader is. */
  skipping?: { section: OpenSection; depth: number };
  /** A `<Macro>` whose body is being collected. */
  capturing?: { macro: ApacheMacro; depth: number; at: Located };
  /** Names of the macros being expanded, innermost last. */
  expanding: string[];
}

export async function readApacheConfig(mainFile: string, options: ProxyReadOptions = {}): Promise<ProxyConfigResult> {
  const main = resolve(mainFile);
  const conditions = new ApacheConditions(options.apacheDefines);
  for (const [identifier, file] of await debianModuleLoads(main, options.root)) conditions.loadModule(identifier, file);
  const reader = new ApacheReader(new ConfigReadContext(options.root), dirname(main), conditions);
  await reader.readFile(main, undefined);
  reader.finish();
  return reader.context.result();
}

class ApacheReader {
  private readonly defines = new Map<string, string>();
  private readonly macros = new Map<string, ApacheMacro>();
  private serverRoot: string;
  private readonly mainServer: ServerScope = { certificates: [], keys: [], aliases: [] };
  private readonly virtualHosts: ServerScope[] = [];
  private currentHost: ServerScope | undefined;

  constructor(
    readonly context: ConfigReadContext,
    mainDir: string,
    private readonly conditions: ApacheConditions,
  ) {
    this.serverRoot = mainDir;
  }

  private get scope(): ServerScope {
    return this.currentHost ?? this.mainServer;
  }

  async readFile(file: string, from: ConfigPosition | undefined): Promise<void> {
    await this.context.readNested(file, from, async (text) => {
      const state: ReadState = { file, sections: [], expanding: [] };
      for (const { text: raw, line } of apacheLines(text)) await this.line(raw, { file, line }, state);
      this.endOfFile(state);
    });
  }

  /** One logical line, as written (macro bodies keep it so; Define variables are replaced here). */
  private async line(raw: string, at: Located, state: ReadState): Promise<void> {
    if (state.capturing) {
      this.capture(raw, state);
      return;
    }
    const { text: substituted, undefinedNames } = substituteDefines(raw, this.defines);
    if (state.skipping) {
      this.skip(substituted, at, state);
      return;
    }
    if (substituted.startsWith('</')) {
      this.closeSection(substituted, at, state.sections);
      return;
    }
    if (substituted.startsWith('<')) {
      this.openSection(substituted, at, state);
      return;
    }
    const { words, unterminatedQuote } = apacheWords(substituted);
    if (unterminatedQuote) this.context.error(at, 'unterminated quoted string (it runs to the end of the line)');
    const [name, ...args] = words;
    if (name === undefined) return;
    const lower = name.toLowerCase();
    if (lower === 'use') await this.use(args, at, state);
    else if (lower === 'undefmacro') this.macros.delete(args[0]?.toLowerCase() ?? '');
    else await this.directive(lower, args, at, undefinedNames);
  }

  private endOfFile(state: ReadState): void {
    if (state.capturing) {
      this.context.error(state.capturing.at, `<Macro ${state.capturing.macro.name}> is not closed in this file (httpd requires it)`);
    }
    if (state.skipping) this.context.error(state.skipping.section, `<${state.skipping.section.name}> section is not closed in this file (httpd requires it)`);
    for (const open of state.sections.reverse()) {
      this.context.error(open, `<${open.name}> section is not closed in this file (httpd requires it)`);
      if (open.name === 'virtualhost') this.endVirtualHost();
    }
  }

  /** A line inside a false conditional: only section nesting matters until the section closes. */
  private skip(text: string, at: Located, state: ReadState): void {
    const skipping = state.skipping!;
    if (text.startsWith('</')) {
      if (--skipping.depth > 0) return;
      state.skipping = undefined;
      const name = text.slice(2).replace(/>$/, '').trim().toLowerCase();
      if (name !== skipping.section.name) {
        this.context.error(at, `</${name}> closes <${skipping.section.name}> (line ${skipping.section.line}); httpd expects </${skipping.section.name}>`);
      }
    } else if (text.startsWith('<')) {
      skipping.depth++;
    }
  }

  /** A line of a macro body: kept as written until the `</Macro>` that closes it (macros may nest). */
  private capture(raw: string, state: ReadState): void {
    const capturing = state.capturing!;
    if (/^<\/macro\s*>/i.test(raw) && --capturing.depth === 0) {
      this.macros.set(capturing.macro.name, capturing.macro);
      state.capturing = undefined;
      return;
    }
    if (/^<macro[\s>]/i.test(raw)) capturing.depth++;
    capturing.macro.body.push(raw);
  }

  /** `Use Name values...`: the macro's body, parameters substituted, read here. */
  private async use(args: string[], at: Located, state: ReadState): Promise<void> {
    const [written, ...values] = args;
    const name = written?.toLowerCase();
    const macro = name === undefined ? undefined : this.macros.get(name);
    if (name === undefined || !macro) {
      this.context.error(at, name === undefined ? 'no macro name given to "Use"' : `macro '${name}' is not defined before this "Use" (httpd refuses this config)`);
      return;
    }
    if (state.expanding.includes(name) || state.expanding.length >= MAX_MACRO_DEPTH) {
      this.context.error(at, `recursive use of macro '${name}' (httpd refuses this config)`);
      return;
    }
    if (values.length !== macro.parameters.length) {
      this.context.error(at, `macro '${name}' (${macro.where}) used with ${values.length} arguments instead of ${macro.parameters.length} (httpd refuses this config)`);
      return;
    }
    state.expanding.push(name);
    try {
      for (const line of macro.body) await this.line(substituteMacroArguments(line, macro.parameters, values), at, state);
    } finally {
      state.expanding.pop();
    }
  }

  private openSection(text: string, at: Located, state: ReadState): void {
    if (!text.endsWith('>')) {
      this.context.error(at, `section header ${text} lacks its closing ">"`);
      return;
    }
    const { words } = apacheWords(text.slice(1, -1));
    const name = words[0]?.toLowerCase();
    if (!name) {
      this.context.error(at, 'empty section header "<>"');
      return;
    }
    if (name === 'macro') {
      const [, macroName, ...parameters] = words;
      if (macroName === undefined) this.context.error(at, '<Macro> without a name');
      const where = `defined at ${at.file}:${at.line}`;
      state.capturing = { macro: { name: (macroName ?? '').toLowerCase(), parameters, body: [], where }, depth: 1, at };
      return;
    }
    if (!this.conditions.holds(name, words[1])) {
      state.skipping = { section: { ...at, name }, depth: 1 };
      return;
    }
    state.sections.push({ ...at, name });
    if (name === 'virtualhost') {
      if (this.currentHost) {
        this.context.error(at, '<VirtualHost> inside another <VirtualHost> (httpd refuses this)');
        this.endVirtualHost(); // keep what the outer one said
      }
      this.currentHost = { certificates: [], keys: [], aliases: [] };
    }
  }

  private closeSection(text: string, at: Located, sections: OpenSection[]): void {
    const name = text.slice(2).replace(/>$/, '').trim().toLowerCase();
    const index = sections.map((s) => s.name).lastIndexOf(name);
    if (index === -1) {
      this.context.error(at, `</${name}> without a matching <${name}> in this file`);
      return;
    }
    if (index !== sections.length - 1) {
      const inner = sections[sections.length - 1]!;
      this.context.error(at, `</${name}> closes <${name}> while <${inner.name}> (line ${inner.line}) is still open`);
    }
    for (const closed of sections.splice(index)) if (closed.name === 'virtualhost') this.endVirtualHost();
  }

  private endVirtualHost(): void {
    if (!this.currentHost) return;
    this.virtualHosts.push(this.currentHost);
    this.currentHost = undefined;
  }

  private async directive(name: string, args: string[], at: Located, undefinedNames: string[]): Promise<void> {
    const needsResolved = (): boolean => {
      if (undefinedNames.length === 0) return true;
      this.context.error(
        at,
        `${undefinedNames.map((n) => `\${${n}}`).join(', ')} not defined by "Define" in the config (httpd would take it from its environment); directive skipped`,
      );
      return false;
    };
    const scope = this.scope;
    switch (name) {
      case 'define':
        if (args[0] === undefined) return;
        this.defines.set(args[0], args[1] ?? '');
        this.conditions.define(args[0]);
        return;
      case 'undefine':
        if (args[0] === undefined) return;
        this.defines.delete(args[0]);
        this.conditions.undefine(args[0]);
        return;
      case 'loadmodule':
        if (args[0] !== undefined) this.conditions.loadModule(args[0], args[1]);
        return;
      case 'serverroot':
        if (args[0] !== undefined && needsResolved()) this.serverRoot = resolveConfigPath(args[0], this.serverRoot, this.context.root);
        return;
      case 'include':
      case 'includeoptional':
        if (args[0] === undefined) this.context.error(at, `"${name}" needs a path`);
        else if (needsResolved()) await this.include(args[0], name === 'includeoptional', at);
        return;
      case 'sslcertificatefile':
      case 'sslcertificatekeyfile':
      case 'sslcertificatechainfile': {
        if (args[0] === undefined || !needsResolved()) return;
        const directive = { ...at, written: args[0] };
        if (name === 'sslcertificatefile') scope.certificates.push(directive);
        else if (name === 'sslcertificatekeyfile') scope.keys.push(directive);
        else scope.chain = directive;
        return;
      }
      case 'servername':
        if (args[0] !== undefined && needsResolved()) scope.serverName = hostOf(args[0]);
        return;
      case 'serveralias':
        if (needsResolved()) scope.aliases.push(...args);
        return;
      case 'sslengine':
        if (args[0] !== undefined) scope.sslEngine = args[0].toLowerCase();
        return;
      default:
    }
  }

  private async include(written: string, optional: boolean, at: Located): Promise<void> {
    const target = resolveConfigPath(written, this.serverRoot, this.context.root);
    const matches = hasGlob(target) ? await expandGlob(target, this.context.root) : [target];
    if (matches.length === 0) {
      if (!optional) this.context.error(at, `Include ${written}: no file matches the wildcard (use IncludeOptional to allow that)`);
      return;
    }
    for (const match of matches) await this.includePath(match, optional && !hasGlob(target), at, 0);
  }

  /** A file, or every file under a directory (sorted, recursively, as httpd reads them). */
  private async includePath(path: string, optional: boolean, at: Located, depth: number): Promise<void> {
    let isDirectory = false;
    try {
      isDirectory = (await stat(await pathInsideRoot(path, this.context.root))).isDirectory();
    } catch {
      if (optional) return; // IncludeOptional of a path that does not exist: silently nothing.
    }
    if (!isDirectory) {
      await this.readFile(path, at);
      return;
    }
    if (depth >= MAX_DIRECTORY_DEPTH) {
      this.context.error(at, `Include ${path}: directories nest deeper than ${MAX_DIRECTORY_DEPTH} levels; stopped there`);
      return;
    }
    let names: string[];
    try {
      names = (await readdir(await pathInsideRoot(path, this.context.root))).sort();
    } catch (err) {
      this.context.error(at, `Include ${path}: cannot list the directory (${(err as Error).message})`);
      return;
    }
    for (const name of names) await this.includePath(join(path, name), false, at, depth + 1);
  }

  /** Turn what was read into bindings, with ServerRoot as it stands at the end (as mod_ssl sees it). */
  finish(): void {
    const main = this.mainServer;
    let mainUsed = false;
    for (const host of this.virtualHosts) {
      const ownCertificates = host.certificates.length > 0;
      const engine = host.sslEngine ?? main.sslEngine;
      if (!ownCertificates && engine !== 'on' && engine !== 'optional') continue;
      if (!ownCertificates && main.certificates.length > 0) mainUsed = true;
      const names = [host.serverName ?? main.serverName, ...host.aliases].filter((n): n is string => n !== undefined);
      this.bind(
        ownCertificates ? host.certificates : main.certificates,
        host.keys.length > 0 ? host.keys : main.keys,
        host.chain ?? main.chain,
        names,
      );
    }
    if (!mainUsed && main.certificates.length > 0) {
      const names = [main.serverName, ...main.aliases].filter((n): n is string => n !== undefined);
      this.bind(main.certificates, main.keys, main.chain, names);
    }
  }

  private bind(certificates: PathDirective[], keys: PathDirective[], chain: PathDirective | undefined, names: string[]): void {
    const serverNames = uniqueNames(names.filter((n) => n !== '' && !n.includes('${')));
    const chainFile = chain && this.path(chain);
    certificates.forEach((certificate, index) => {
      const key = keys[index];
      this.context.bindings.push({
        proxy: 'apache',
        configFile: certificate.file,
        line: certificate.line,
        serverNames,
        certificateFile: this.path(certificate),
        ...(key ? { keyFile: this.path(key) } : {}),
        ...(chainFile ? { chainFile } : {}),
      });
    });
  }

  private path(directive: PathDirective): string {
    return resolveConfigPath(directive.written, this.serverRoot, this.context.root);
  }
}

/** ServerName is `[scheme://]host[:port]`; only the host is a name a certificate covers. */
function hostOf(serverName: string): string {
  const withoutScheme = serverName.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  if (withoutScheme.startsWith('[')) return withoutScheme.slice(1, withoutScheme.indexOf(']') === -1 ? undefined : withoutScheme.indexOf(']'));
  return withoutScheme.replace(/:\d+$/, '');
}
