/**
 * mod_macro, as its source does it: `<Macro Name $a @b>` keeps its body lines as written;
 * `Use Name x y` substitutes each parameter wherever its name occurs in those lines (at each
 * point the earliest occurrence, the longest name on a tie), an `@` parameter's value in double
 * quotes with `"` and `\` escaped, and the result is read as if it stood where `Use` is.
 * Macro names are case-insensitive; a macro cannot use itself.
 */

export interface ApacheMacro {
  name: string;
  parameters: string[];
  /** Logical lines of the body, before any substitution (Define variables are replaced when read). */
  body: string[];
  /** Where it is defined, for messages. */
  where: string;
}

/** mod_macro's substitute_macro_args over one line. */
export function substituteMacroArguments(line: string, parameters: readonly string[], values: readonly string[]): string {
  let out = '';
  let rest = line;
  for (;;) {
    let chosen = -1;
    let at = -1;
    parameters.forEach((name, index) => {
      if (name === '') return;
      const found = rest.indexOf(name);
      if (found === -1) return;
      if (at === -1 || found < at || (found === at && name.length > parameters[chosen]!.length)) {
        at = found;
        chosen = index;
      }
    });
    if (chosen === -1) return out + rest;
    const name = parameters[chosen]!;
    const value = values[chosen] ?? '';
    out += rest.slice(0, at) + (name.startsWith('@') ? `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"` : value);
    rest = rest.slice(at + name.length);
  }
}
