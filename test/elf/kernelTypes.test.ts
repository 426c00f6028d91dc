/*
 * The verifier's KernelTypes over a BTF (src/elf/btf/kernelTypes.ts, structWalk.ts): struct walks
 * through nested structs, unions, arrays, bitfields and flexible arrays, with btf_struct_access's
 * messages; map types' structs; tracing attach targets' prototypes. Built BTF, so every case is
 * exact whatever the running kernel.
 */
import { describe, expect, test } from 'vitest';
import { BTF_KIND_FUNC, BtfBuilder, btfKernelTypes, simKernelBtf, structAccess } from '../../src/elf/index.js';
import { BPF_MODIFY_RETURN, BPF_TRACE_FENTRY, BPF_TRACE_FEXIT, BPF_TRACE_RAW_TP } from '../../src/uapi.js';
import { BtfPtrFlag } from '../../src/verifier/index.js';

/** struct inner { u32 a; struct outer *back; }; union two { struct inner *p; u64 x; };
 *  struct outer { u8 flags:3; u8 mode:5; u32 word; struct inner in[2]; union two u; u32 arr[4]; u64 tail[]; }; */
function types(): { btf: ReturnType<BtfBuilder['build']>; outer: number; inner: number } {
  const b = new BtfBuilder();
  const u8 = b.int('unsigned char', 1);
  const u32 = b.int('unsigned int', 4);
  const u64 = b.int('long long unsigned int', 8);
  const outer = b.reserve();
  const inner = b.struct('inner', [['a', u32], ['back', b.ptr(outer)]]);
  const two = b.union('two', [['p', b.ptr(inner)], ['x', u64]]);
  b.struct('outer', [
    ['flags', u8, 3], ['mode', u8, 5], ['word', u32], ['in', b.array(inner, 2)], ['u', two], ['arr', b.array(u32, 4)], ['tail', b.array(u64, 0)],
  ], outer);
  return { btf: b.build(), outer, inner };
}

describe('struct walks', () => {
  const { btf, outer, inner } = types();
  const at = (off: number, size: number) => structAccess(btf, outer, off, size);

  test('scalars, bitfields and integer arrays as scratch space', () => {
    expect(at(4, 4)).toEqual({ kind: 'scalar' });
    expect(at(0, 1)).toEqual({ kind: 'scalar' });
    expect(at(48, 8)).toEqual({ kind: 'scalar' });
    expect(at(50, 4)).toEqual({ kind: 'scalar' });
    expect(at(6, 4)).toEqual({ kind: 'error', errno: 13, message: 'access beyond the end of member word (mend:8) in struct outer with off 6 size 4' });
    expect(at(60, 8)).toEqual({ kind: 'error', errno: 13, message: 'access beyond struct outer at off 60 size 8' });
  });

  test('nested structs and arrays of them; pointers read whole', () => {
    expect(at(24, 4)).toEqual({ kind: 'scalar' });
    expect(at(32, 8)).toEqual({ kind: 'ptr', id: outer, flags: 0, field: 'back' });
    expect(at(36, 4)).toEqual({ kind: 'error', errno: 13, message: 'cannot access ptr member back with moff 8 in struct inner with off 12 size 4' });
    expect(at(12, 4)).toEqual({ kind: 'error', errno: 22, message: "struct inner doesn't have field at offset 4" });
  });

  test('a union with two members makes its pointers untrusted', () => {
    expect(at(40, 8)).toEqual({ kind: 'ptr', id: inner, flags: BtfPtrFlag.UNTRUSTED, field: 'p' });
    expect(at(44, 4)).toEqual({ kind: 'error', errno: 13, message: 'cannot access ptr member p with moff 0 in struct two with off 4 size 4' });
  });

  test('a flexible array repeats its element; past a fixed struct is refused', () => {
    expect(at(64 + 8 * 100, 8)).toEqual({ kind: 'scalar' });
    expect(structAccess(btf, inner, 16, 4)).toEqual({ kind: 'error', errno: 13, message: 'access beyond struct inner at off 16 size 4' });
  });
});

describe("bpfsim's kernel BTF as KernelTypes", () => {
  const btf = simKernelBtf();
  const kt = btfKernelTypes(btf);

  test('map types are the kernel structs that embed struct bpf_map', () => {
    expect(kt.typeName(kt.mapStructId(2)!)).toBe('bpf_array');
    expect(kt.typeName(kt.mapStructId(1)!)).toBe('bpf_htab');
    expect(kt.typeName(kt.mapStructId(27)!)).toBe('bpf_ringbuf_map');
    expect(kt.mapStructId(7)).toBeUndefined();
    expect(kt.structAccess(kt.mapStructId(2)!, 76, 4)).toEqual({ kind: 'scalar' });
  });

  test('attach targets: a BTF raw tracepoint has the hidden __data first; fexit sees the return value', () => {
    const tp = kt.attachProto(btf.find('btf_trace_sched_switch')!, BPF_TRACE_RAW_TP);
    expect(tp).toMatchObject({ name: 'sched_switch', rawTp: true, paramBytes: [8, 8, 8, 8, 8], retBytes: 0, retKindName: 'UNKNOWN' });
    if (typeof tp === 'string') throw new Error(tp);
    expect(tp.params[2]).toEqual({ kind: 'struct', id: btf.find('task_struct', 4), name: 'task_struct', kindName: 'STRUCT' });
    const fn = kt.attachProto(btf.find('do_unlinkat', BTF_KIND_FUNC)!, BPF_TRACE_FEXIT);
    expect(fn).toMatchObject({ name: 'do_unlinkat', rawTp: false, params: [{ kind: 'scalar' }, { kind: 'pointer' }], retSmallInt: true, retKindName: 'INT' });
    expect(kt.attachProto(btf.find('do_unlinkat')!, BPF_MODIFY_RETURN)).toMatchObject({ retSmallInt: true });
    expect(kt.attachProto(btf.find('btf_trace_sched_switch')!, BPF_TRACE_FENTRY)).toBe(`attach_btf_id ${btf.find('btf_trace_sched_switch')} is not a function`);
  });
});
