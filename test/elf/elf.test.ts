import { describe, expect, test } from 'vitest';
import {
  ElfError, EM_BPF, R_BPF_64_32, R_BPF_64_64, SHT_NOBITS, SHT_PROGBITS, STB_GLOBAL, STT_FUNC, STT_OBJECT, isElf, parseElf,
} from '../../src/elf/index.js';
import { fixture, patched } from './support/objects.js';

const bytes = fixture('tail_calls.o');
const shoff = Number(new DataView(bytes.buffer).getBigUint64(40, true));

describe('parseElf', () => {
  const elf = parseElf(bytes);

  test('reads the header, sections and symbols of a clang object', () => {
    expect(elf.machine).toBe(EM_BPF);
    expect(elf.sections.map((s) => s.name)).toEqual(expect.arrayContaining(['xdp', '.maps', '.bss', 'license', '.BTF', '.BTF.ext', '.symtab']));
    const xdp = elf.sections.find((s) => s.name === 'xdp')!;
    expect(xdp.type).toBe(SHT_PROGBITS);
    expect(xdp.size % 8).toBe(0);
    expect(elf.sections.find((s) => s.name === '.bss')!.type).toBe(SHT_NOBITS);
    const entry = elf.symbols.find((s) => s.name === 'xdp_entry')!;
    expect(entry).toMatchObject({ bind: STB_GLOBAL, type: STT_FUNC, shndx: xdp.index });
    expect(elf.symbols.find((s) => s.name === 'jump_table')).toMatchObject({ type: STT_OBJECT });
  });

  test('collects the relocations of allocated sections only', () => {
    const xdp = elf.sections.find((s) => s.name === 'xdp')!;
    const maps = elf.sections.find((s) => s.name === '.maps')!;
    expect(elf.relocations.get(xdp.index)!.map((r) => [r.type, r.symbol.name])).toEqual([[R_BPF_64_64, 'tail_hits'], [R_BPF_64_64, 'jump_table']]);
    expect(elf.relocations.get(maps.index)!.map((r) => r.symbol.name)).toEqual(['tail_pass', 'tail_drop', 'tail_count']);
    const debug = elf.sections.find((s) => s.name === '.debug_info')!;
    expect(elf.relocations.has(debug.index)).toBe(false);
  });

  test('call relocations carry R_BPF_64_32', () => {
    const sub = parseElf(fixture('subprogs.o'));
    const all = [...sub.relocations.values()].flat();
    expect(all.some((r) => r.type === R_BPF_64_32 && r.symbol.name === 'global_len')).toBe(true);
  });

  test('isElf checks the magic number', () => {
    expect(isElf(bytes)).toBe(true);
    expect(isElf(new Uint8Array([0x7f, 0x45, 0x4c]))).toBe(false);
  });
});

const bad: { name: string; have: () => Uint8Array; want: RegExp; section: string }[] = [
  { name: 'not ELF', have: () => new TextEncoder().encode('r0 = 1\nexit\n'), want: /bad magic/, section: 'ELF header' },
  { name: 'truncated header', have: () => bytes.subarray(0, 40), want: /ELF64 header \(64 bytes\) runs past the end/, section: 'ELF header' },
  { name: 'ELF32', have: () => patched(bytes, 4, 1, 1), want: /ELF class 1/, section: 'ELF header' },
  { name: 'big-endian', have: () => patched(bytes, 5, 2, 1), want: /big-endian object .*bpfeb/, section: 'ELF header' },
  { name: 'x86-64 object', have: () => patched(bytes, 18, 62, 2), want: /wrong machine type 62/, section: 'ELF header' },
  { name: 'executable', have: () => patched(bytes, 16, 2, 2), want: /ELF type 2/, section: 'ELF header' },
  { name: 'section table past the end', have: () => patched(bytes, 40, bytes.length - 10, 8), want: /section table .* runs past the end/, section: 'ELF header' },
  { name: 'truncated file', have: () => bytes.subarray(0, shoff + 64 * 3), want: /section table .* runs past the end/, section: 'ELF header' },
  { name: 'section contents past the end', have: () => patched(bytes, shoff + 64 * 3 + 32, 0xfffff, 8), want: /run past the end of the file/, section: 'xdp' },
  { name: 'bad section-name table index', have: () => patched(bytes, 62, 3, 2), want: /is not a string table/, section: 'ELF header' },
];

describe('malformed objects raise an ElfError naming the section and offset', () => {
  test.each(bad)('$name', ({ have, want, section }) => {
    let err: unknown;
    try {
      parseElf(have());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ElfError);
    expect((err as ElfError).message).toMatch(want);
    expect((err as ElfError).section).toBe(section);
  });
});
