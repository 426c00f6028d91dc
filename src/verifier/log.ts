/**
 * The verifier log in the kernel's format. Level 1 keeps the path that is being verified (the log
 * is cut back to where a branch was pushed when that branch is popped, as the kernel's
 * `bpf_vlog_reset` does), level 2 keeps every path with `from X to Y:` headers and full states.
 * After an instruction, the registers and stack slots it touched are appended as
 * `<padding>; R1=ctx() R2=pkt(r=0)`, aligned the way `vlog_alignment` aligns them.
 */

/** A verifier error: the log message and the errno the kernel returns with it. */
export class VerifierError extends Error {
  /** EACCES, EINVAL, E2BIG, EFAULT, … */
  readonly errno: number;

  constructor(errno: number, message: string) {
    super(message);
    this.errno = errno;
  }
}

/** Throws a VerifierError (for use in expressions). */
export function fail(errno: number, message: string): never {
  throw new VerifierError(errno, message);
}

/** The log text, built as the kernel builds it. */
export class VerifierLog {
  /** 0: nothing, 1: the failing path, 2: everything. */
  readonly level: number;
  private text = '';
  /** Length of the last instruction line, when nothing has been printed after it. */
  private insnLineEnd = -1;
  private insnLineLen = 0;

  constructor(level: number) {
    this.level = level;
  }

  /** Appends raw text. */
  write(s: string): void {
    if (this.level === 0) return;
    this.text += s;
  }

  /** Appends a line. */
  line(s: string): void {
    this.write(s + '\n');
  }

  /** Prints an instruction line `N: (code) text`; its touched state may follow on the same line. */
  insn(s: string): void {
    if (this.level === 0) return;
    this.text += s + '\n';
    this.insnLineEnd = this.text.length;
    this.insnLineLen = s.length;
  }

  /** Appends `; state` to the last instruction line, or prints `N: state` on a line of its own. */
  state(idx: number, state: string): void {
    if (this.level === 0 || state === '') return;
    if (this.insnLineEnd === this.text.length) {
      const pos = this.insnLineLen + 1;
      const width = Math.ceil(Math.max(pos + 4, 40) / 8) * 8 - pos - 1;
      this.text = this.text.slice(0, -1) + ' '.repeat(Math.max(width, 1)) + '; ' + state + '\n';
      this.insnLineEnd = -1;
    } else {
      this.text += `${idx}: ${state}\n`;
    }
  }

  /** The current length, to cut back to later. */
  mark(): number {
    return this.text.length;
  }

  /** Cuts the log back to `pos` (level 1 only, as on a branch pop). */
  reset(pos: number): void {
    if (this.level === 1 && pos < this.text.length) {
      this.text = this.text.slice(0, pos);
      this.insnLineEnd = -1;
    }
  }

  /** The whole log. */
  toString(): string {
    return this.text;
  }
}
