/**
 * What httpd knows when it meets `<IfModule>` and `<IfDefine>` while reading its config: the
 * modules loaded so far (compiled in, or `LoadModule` read earlier) and the names defined so far
 * (`-D` at start-up, `Define`, less `UnDefine`). Both are read in order, as httpd reads them.
 *
 * A config read on its own (a `sites-enabled/` file, given without apache2.conf) has loaded no
 * module: until the first `LoadModule` is seen, every module is taken as loaded, so its
 * `<IfModule mod_ssl.c>` sections still count. On Debian's layout the `mods-enabled/*.load` files
 * beside such a file say which modules the server loads (see debianModuleLoads).
 */
import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { apacheLines, apacheWords } from './apache-lines.js';
import { pathInsideRoot } from './config-paths.js';

/** Modules Debian's apache2 has compiled in (`apache2 -l`), by identifier and source file name. */
const COMPILED_IN: Array<[identifier: string, file: string]> = [
  ['core_module', 'core.c'],
  ['so_module', 'mod_so.c'],
  ['watchdog_module', 'mod_watchdog.c'],
  ['http_module', 'http_core.c'],
  ['log_config_module', 'mod_log_config.c'],
  ['logio_module', 'mod_logio.c'],
  ['version_module', 'mod_version.c'],
  ['unixd_module', 'mod_unixd.c'],
];

export class ApacheConditions {
  /** Module identifiers (`ssl_module`) and source file names (`mod_ssl.c`), as `<IfModule>` takes either. */
  private readonly modules = new Set<string>(COMPILED_IN.flat());
  private modulesKnown = false;
  private readonly defined: Set<string>;

  constructor(startupDefines: readonly string[] = []) {
    this.defined = new Set(startupDefines);
  }

  /** `LoadModule <identifier> <file>`: httpd's module name is the source file, `mod_ssl.so` <- `mod_ssl.c`. */
  loadModule(identifier: string, file: string | undefined): void {
    this.modulesKnown = true;
    this.modules.add(identifier);
    this.modules.add(`mod_${identifier.replace(/_module$/, '')}.c`);
    if (file !== undefined) this.modules.add(basename(file).replace(/\.so$/, '.c'));
  }

  define(name: string): void {
    this.defined.add(name);
  }

  undefine(name: string): void {
    this.defined.delete(name);
  }

  /**
   * Whether a conditional section's body is read: `<IfModule [!]module>` and `<IfDefine [!]name>`
   * are evaluated; other conditions (`<IfVersion>`, `<IfFile>`, `<IfDirective>`, ...) are read as true.
   */
  holds(section: string, argument: string | undefined): boolean {
    if (argument === undefined || (section !== 'ifmodule' && section !== 'ifdefine')) return true;
    const negated = argument.startsWith('!');
    const name = negated ? argument.slice(1) : argument;
    const present = section === 'ifmodule' ? this.moduleLoaded(name) : this.defined.has(name);
    return present !== negated;
  }

  private moduleLoaded(name: string): boolean {
    // httpd compares exactly: `mod_ssl` (neither identifier nor file name) is never loaded.
    return this.modules.has(name) || !this.modulesKnown;
  }
}

/**
 * On Debian's layout, a file in `sites-enabled/` (or `conf-enabled/`, ...) sits beside
 * `mods-enabled/`, whose `*.load` files hold the `LoadModule` lines apache2.conf would have read
 * first. Returns them as [identifier, file] pairs, or none when there is no such directory.
 */
export async function debianModuleLoads(mainFile: string, root: string | undefined): Promise<Array<[string, string | undefined]>> {
  const dir = dirname(mainFile);
  if (!/-(enabled|available)$/.test(basename(dir))) return [];
  const modsEnabled = join(dirname(dir), 'mods-enabled');
  let names: string[];
  try {
    names = (await readdir(await pathInsideRoot(modsEnabled, root))).filter((n) => n.endsWith('.load')).sort();
  } catch {
    return [];
  }
  const loads: Array<[string, string | undefined]> = [];
  for (const name of names) {
    const text = await readFile(await pathInsideRoot(join(modsEnabled, name), root), 'utf8').catch(() => '');
    for (const { text: line } of apacheLines(text)) {
      const [directive, identifier, file] = apacheWords(line).words;
      if (directive?.toLowerCase() === 'loadmodule' && identifier !== undefined) loads.push([identifier, file]);
    }
  }
  return loads;
}
