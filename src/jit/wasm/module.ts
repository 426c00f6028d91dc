import { ByteWriter } from './bytes.js';
import type { FuncBuilder } from './func.js';

/** A function signature: parameter and result value types. */
export interface FuncType {
  readonly params: readonly number[];
  readonly results: readonly number[];
}

interface Import { readonly module: string; readonly name: string; readonly kind: 'func' | 'memory'; readonly type: number }
interface Global { readonly type: number; readonly init: readonly number[] }

/** What `ModuleBuilder.finish` returns: the binary and where each function's code starts in it. */
export interface BuiltModule {
  /** The module's bytes. */
  readonly bytes: Uint8Array<ArrayBuffer>;
  /** Module byte offset of each defined function's first instruction, for trap locations. */
  readonly codeStarts: readonly number[];
}

const SECTION = { type: 1, import: 2, function: 3, global: 6, export: 7, code: 10 } as const;

/**
 * Builds a WebAssembly module: imports (functions and one memory), mutually recursive functions,
 * mutable globals, and function and global exports. Function indices count imports first, as the
 * format does, so every import is declared before the first function.
 */
export class ModuleBuilder {
  private readonly types: FuncType[] = [];
  private readonly typeKeys = new Map<string, number>();
  private readonly imports: Import[] = [];
  private readonly funcTypes: number[] = [];
  private readonly bodies: (FuncBuilder | undefined)[] = [];
  private readonly globals: Global[] = [];
  private readonly exports: { name: string; kind: number; index: number }[] = [];
  private importedFuncs = 0;

  /** The index of a signature, shared by identical signatures. */
  type(params: readonly number[], results: readonly number[]): number {
    const key = params.join(',') + ':' + results.join(',');
    let i = this.typeKeys.get(key);
    if (i === undefined) {
      i = this.types.length;
      this.types.push({ params, results });
      this.typeKeys.set(key, i);
    }
    return i;
  }

  /** Imports a function; returns its function index. */
  importFunc(module: string, name: string, params: readonly number[], results: readonly number[]): number {
    if (this.funcTypes.length > 0) throw new Error('imports must precede functions');
    this.imports.push({ module, name, kind: 'func', type: this.type(params, results) });
    return this.importedFuncs++;
  }

  /** Imports a memory with no maximum (any memory of at least `minPages` pages matches). */
  importMemory(module: string, name: string, minPages: number): void {
    this.imports.push({ module, name, kind: 'memory', type: minPages });
  }

  /** Declares a function; its body is given later with `define`. Returns its function index. */
  declare(params: readonly number[], results: readonly number[]): number {
    this.funcTypes.push(this.type(params, results));
    this.bodies.push(undefined);
    return this.importedFuncs + this.funcTypes.length - 1;
  }

  /** Gives a declared function its body (its code without the final `end`, which is added here). */
  define(index: number, body: FuncBuilder): void {
    this.bodies[index - this.importedFuncs] = body;
  }

  /** Adds a mutable global with a constant initial value (`init` is the encoded constant expression, without `end`). */
  global(type: number, init: readonly number[]): number {
    this.globals.push({ type, init });
    return this.globals.length - 1;
  }

  /** Exports a function by name. */
  exportFunc(name: string, index: number): void {
    this.exports.push({ name, kind: 0x00, index });
  }

  /** Exports a (mutable) global by name, for the host to set. */
  exportGlobal(name: string, index: number): void {
    this.exports.push({ name, kind: 0x03, index });
  }

  /** Encodes the module. */
  finish(): BuiltModule {
    const out = new ByteWriter();
    out.bytes([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
    this.section(out, SECTION.type, this.types.length, (w) => {
      for (const t of this.types) {
        w.byte(0x60);
        w.u32(t.params.length);
        w.bytes(t.params);
        w.u32(t.results.length);
        w.bytes(t.results);
      }
    });
    this.section(out, SECTION.import, this.imports.length, (w) => {
      for (const im of this.imports) {
        w.name(im.module);
        w.name(im.name);
        if (im.kind === 'func') { w.byte(0x00); w.u32(im.type); } else { w.byte(0x02); w.byte(0x00); w.u32(im.type); }
      }
    });
    this.section(out, SECTION.function, this.funcTypes.length, (w) => { for (const t of this.funcTypes) w.u32(t); });
    this.section(out, SECTION.global, this.globals.length, (w) => {
      for (const g of this.globals) {
        w.byte(g.type);
        w.byte(0x01);
        w.bytes(g.init);
        w.byte(0x0b);
      }
    });
    this.section(out, SECTION.export, this.exports.length, (w) => {
      for (const e of this.exports) { w.name(e.name); w.byte(e.kind); w.u32(e.index); }
    });
    const codeStarts: number[] = [];
    const code = new ByteWriter();
    code.u32(this.bodies.length);
    const bodyOffsets: number[] = [];
    for (const [i, b] of this.bodies.entries()) {
      if (!b) throw new Error(`function ${i + this.importedFuncs} was declared but never defined`);
      const locals = b.encodeLocals();
      code.u32(locals.length + b.code.length + 1);
      bodyOffsets.push(code.length + locals.length);
      code.bytes(locals);
      code.bytes(b.code.view());
      code.byte(0x0b);
    }
    out.byte(SECTION.code);
    out.u32(code.length);
    const base = out.length;
    out.bytes(code.view());
    for (const o of bodyOffsets) codeStarts.push(base + o);
    return { bytes: out.view().slice(), codeStarts };
  }

  private section(out: ByteWriter, id: number, count: number, fill: (w: ByteWriter) => void): void {
    if (count === 0) return;
    const w = new ByteWriter();
    w.u32(count);
    fill(w);
    out.byte(id);
    out.sized(w);
  }
}
