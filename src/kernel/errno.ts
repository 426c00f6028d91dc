import { BpfError } from '../errors.js';
import { ErrnoError } from '../errno.js';

/** Log lines that report statistics rather than a reason. */
const STATS_LINE = /^(processed \d+ insns|verification time|stack depth|max_states_per_insn)/;

/**
 * The line of a verifier or BTF log that says why a load failed: the last one that is not a
 * statistics line (the kernel prints `processed N insns ...` after the error).
 */
export function logSummary(log: string): string | undefined {
  const lines = log.split('\n').map((line) => line.trim()).filter((line) => line && !STATS_LINE.test(line));
  return lines.at(-1);
}

/** A bpf() command (or close) that the kernel refused, with its errno and, for loads, the log. */
export class KernelError extends ErrnoError {
  /** The verifier or BTF log of a failed load, when there is one. */
  readonly log: string | undefined;

  constructor(op: string, errno: number, options: { log?: string; detail?: string } = {}) {
    super(op, errno, options.detail ?? (options.log ? logSummary(options.log) : undefined));
    this.log = options.log || undefined;
  }
}

/** Raised when the kernel backend cannot be used at all; the message says what to do about it. */
export class KernelUnavailableError extends BpfError {
  constructor(reason: string) {
    super('ENOKERNEL', `the kernel backend is unavailable: ${reason}`);
  }
}
