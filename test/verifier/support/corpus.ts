/**
 * Reads test/verifier/corpus.txt (and calls.txt): cases of `=== rule: what`, `expect: accept` or
 * `expect: reject ERRNO message`, an optional `type: T` and `processed: N`, then the program's assembly.
 */
import { readFileSync } from 'node:fs';
import { assemble, type Insn } from '../../../src/isa/index.js';
import { progTypeByName } from '../../../src/vm/index.js';

/** One corpus case. */
export interface CorpusCase {
  readonly name: string;
  readonly type: number;
  readonly ok: boolean;
  readonly errno: number;
  readonly message: string;
  /** The instructions the kernel processed, where the case gives it (`processed: N`). */
  readonly processed?: number;
  readonly insns: Insn[];
}

/** Every case of the corpus file; `call kfunc:NAME` becomes a call of the kfunc with BTF id `kfuncId(NAME)`. */
export function readCorpus(path: string, kfuncId: (name: string) => number = () => 0): CorpusCase[] {
  const text = readFileSync(path, 'utf8');
  return text.split(/^=== /m).slice(1).map((block) => {
    const [head, ...rest] = block.split('\n');
    let expect = '';
    let type = 'xdp';
    let processed: number | undefined;
    const body: string[] = [];
    for (const line of rest) {
      if (line.startsWith('expect: ')) expect = line.slice(8);
      else if (line.startsWith('processed: ')) processed = Number(line.slice(11));
      else if (line.startsWith('type: ')) type = line.slice(6);
      else body.push(line);
    }
    const m = /^reject (\d+) (.*)$/.exec(expect);
    return {
      name: head!.trim(), type: progTypeByName(type)!, ok: expect === 'accept', errno: m ? Number(m[1]) : 0, message: m ? m[2]! : '',
      ...(processed === undefined ? {} : { processed }),
      insns: assemble(body.join('\n').replace(/kfunc:(\w+)/g, (_, n: string) => `kfunc ${kfuncId(n)}`)).insns,
    };
  });
}
