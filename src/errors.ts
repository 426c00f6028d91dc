/**
 * The root of bpfsim's typed errors. Every error bpfsim raises on bad input is a `BpfError`
 * subclass that names what is at fault (instruction index, line, section, field) and says what
 * the user can do about it.
 */

/** Base class of every error bpfsim raises for bad input or a failed operation. */
export class BpfError extends Error {
  /** A stable machine-readable code, e.g. `EINSN` or `EASM`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}
