import { BpfError } from '../errors.js';

/** Where in the input a problem is: a section (or BTF part) and a byte offset in it. */
export interface ErrorSite {
  /** Section name (`.BTF`, `xdp`, `.rel.text`, …) or file part (`ELF header`). */
  readonly section: string;
  /** Byte offset into the section (or file), when known. */
  readonly offset?: number;
}

function where(site: ErrorSite): string {
  return site.offset === undefined ? site.section : `${site.section}+0x${site.offset.toString(16)}`;
}

/** A malformed, unsupported or inconsistent ELF object; names the section and offset at fault. */
export class ElfError extends BpfError {
  /** The section (or file part) at fault. */
  readonly section: string;
  /** Byte offset into it, when known. */
  readonly offset: number | undefined;

  constructor(site: ErrorSite, message: string, options?: { cause?: unknown }) {
    super('EELF', `${where(site)}: ${message}`, options);
    this.section = site.section;
    this.offset = site.offset;
  }
}

/** Malformed or unsupported BTF or BTF.ext; names the part and offset at fault. */
export class BtfError extends BpfError {
  /** `.BTF`, `.BTF.ext`, a type (`type [12]`) or a relocation. */
  readonly section: string;
  /** Byte offset into the section, when known. */
  readonly offset: number | undefined;

  constructor(site: ErrorSite, message: string, options?: { cause?: unknown }) {
    super('EBTF', `${where(site)}: ${message}`, options);
    this.section = site.section;
    this.offset = site.offset;
  }
}

/** A collection that cannot be loaded: a program the backend refused, a missing map, an unresolved extern. */
export class LoadError extends BpfError {
  /** The program (or map) being loaded when it failed. */
  readonly object: string;
  /** The backend's verifier log, when a program was refused. */
  readonly log: string | undefined;

  constructor(object: string, message: string, options: { cause?: unknown; log?: string } = {}) {
    super('ELOAD', `${object}: ${message}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.object = object;
    this.log = options.log;
  }
}
