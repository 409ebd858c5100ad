/**
 * The programs a config names (pre, post, deploy.commands, a dns-01 exec hook) must exist and be
 * executable when the config is read: a typo in a hook found at 3 a.m. halfway through a renewal,
 * after the CA was asked and files were switched, costs more than an error before anything runs.
 *
 * The lookup is the one the runner (src/process/run-command.ts, node's spawn) makes: a name with a
 * slash is a path (relative to the working directory the commands run in), a bare name is looked
 * up on the PATH of the environment the commands get, which is the caller's map and never
 * process.env read here.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { ConfigError } from '../errors.js';

/** What node's spawn searches when the environment has no PATH (libuv's default). */
const DEFAULT_PATH = '/usr/bin:/bin';

export interface ProgramLookup {
  env: Readonly<Record<string, string | undefined>>;
  /** The directory commands run in (a relative program path is relative to it). */
  cwd: string;
  /**
   * Answers already found in this resolution: a fleet of 1,000 certificates whose deploy command is
   * the same `systemctl` looked it up 1,000 times over the PATH (0.13 s of a 0.5 s idle run).
   */
  seen?: Map<string, string | undefined>;
}

/** Throws a ConfigError naming `where` when the program of `argv` cannot be run. */
export function checkProgram(argv: readonly string[], where: string, lookup: ProgramLookup): void {
  const program = argv[0];
  // The same program found before in this resolution: fine again (a failure is not cached: it throws).
  if (program !== undefined && lookup.seen?.get(`program:${program}`) === 'ok') return;
  findProgram(program, where, lookup);
  if (program !== undefined) lookup.seen?.set(`program:${program}`, 'ok');
}

function findProgram(program: string | undefined, where: string, lookup: ProgramLookup): void {
  if (program === undefined || program === '') throw new ConfigError(`${where}: the command is empty`, 'a command is an argv array whose first item is the program');
  if (program.includes('/')) {
    const path = resolve(lookup.cwd, program);
    const problem = cachedProblem(path, lookup.seen);
    if (problem) throw new ConfigError(`${where}: ${programText(program, path)} ${problem}`, hintFor(problem));
    return;
  }
  const searchPath = lookup.env.PATH ?? DEFAULT_PATH;
  // An empty PATH entry means the working directory, as for execvp.
  const dirs = searchPath.split(delimiter).map((d) => (d === '' ? lookup.cwd : d));
  let notExecutable: string | undefined;
  for (const dir of dirs) {
    const candidate = resolve(lookup.cwd, join(dir, program));
    const problem = cachedProblem(candidate, lookup.seen);
    if (!problem) return;
    if (problem.startsWith('is not executable')) notExecutable ??= candidate;
  }
  if (notExecutable) {
    throw new ConfigError(`${where}: "${program}" was found on PATH as ${notExecutable}, which is not executable`, 'make it executable (chmod +x), or give the full path of the program to run');
  }
  throw new ConfigError(`${where}: "${program}" was not found on PATH (${searchPath})`, 'give the full path of the program, or install it; commands run with the PATH certfleet is started with');
}

function cachedProblem(path: string, seen: Map<string, string | undefined> | undefined): string | undefined {
  if (!seen) return programProblem(path);
  if (!seen.has(path)) seen.set(path, programProblem(path));
  return seen.get(path);
}

/** Why `path` cannot be run, or undefined when it can. */
function programProblem(path: string): string | undefined {
  let isFile: boolean;
  let mode: number;
  try {
    const stats = statSync(path);
    isFile = stats.isFile();
    mode = stats.mode & 0o7777;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'does not exist';
    return `cannot be looked at (${code ?? (err as Error).message})`;
  }
  if (!isFile) return 'is not a file';
  try {
    accessSync(path, constants.X_OK);
  } catch {
    return `is not executable by this user (mode ${mode.toString(8).padStart(4, '0')})`;
  }
  return undefined;
}

function programText(program: string, path: string): string {
  return program === path ? path : `${program} (${path})`;
}

function hintFor(problem: string): string {
  if (problem === 'does not exist') return 'check the path; a command is an argv array whose first item is the program';
  if (problem.startsWith('is not executable')) return 'make it executable (chmod +x), or run it through its interpreter, e.g. [sh, /path/to/script]';
  return 'a command is an argv array whose first item is the program (a path, or a name found on PATH)';
}
