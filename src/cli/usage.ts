import { parseArgs } from 'node:util';
import type { ParseArgsOptionConfig } from 'node:util';
import { BpfError } from '../errors.js';

/** A command-line mistake: unknown flag, missing argument, unreadable file. Exit status 2. */
export class UsageError extends BpfError {
  constructor(message: string) {
    super('EUSAGE', message);
  }
}

/** A subcommand: its name, one-line summary, usage text and implementation. */
export interface Command {
  /** Name as typed after `bpfsim`. */
  readonly name: string;
  /** One line for `bpfsim --help`. */
  readonly summary: string;
  /** The full `--help` text. */
  readonly usage: string;
  /** Runs the command; resolves to the exit status. */
  run(argv: string[], io: CliIo): Promise<number> | number;
}

/** Where a command writes; tests capture it. */
export interface CliIo {
  /** Writes to standard output. */
  out(text: string): void;
  /** Writes to standard error. */
  err(text: string): void;
  /** Reads all of standard input. */
  stdin(): string;
}

/** Parsed flags and positionals of a subcommand. */
export interface Parsed {
  readonly values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  readonly positionals: string[];
}

/** Parses flags with node:util parseArgs; any mistake becomes a one-line UsageError. */
export function parseFlags(cmd: string, argv: string[], options: Record<string, ParseArgsOptionConfig>): Parsed {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: true });
  } catch (e) {
    const msg = e instanceof Error ? e.message.split('\n')[0]! : String(e);
    throw new UsageError(`${msg.replace(/\. To specify a positional argument.*$/, '')} (see bpfsim ${cmd} --help)`);
  }
}

/** A flag's value as a string, or undefined. */
export function str(p: Parsed, name: string): string | undefined {
  const v = p.values[name];
  return typeof v === 'string' ? v : undefined;
}

/** A flag's value as a positive integer, or the default. */
export function int(p: Parsed, name: string, def: number): number {
  const v = str(p, name);
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive integer, not '${v}'`);
  return n;
}
