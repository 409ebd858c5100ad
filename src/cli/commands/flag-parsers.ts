/** Commander argument parsers shared by the command definitions. */
import { InvalidArgumentError } from 'commander';

/** A repeatable flag: each use adds a value. */
export const collect = (value: string, previous: string[] = []) => [...previous, value];

/** A whole-number flag of at least `min` (InvalidArgumentError: commander reports it as a usage error, exit 2). */
export const wholeNumber =
  (name: string, min = 0) =>
  (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} takes a whole number${min > 0 ? ` of at least ${min}` : ''}, not "${value}"`);
    return n;
  };
