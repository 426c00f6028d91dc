/*
 * Programs the verifier types through BTF, run on the simulator with verification on
 * (`createMachine`: bpfsim's kernel BTF): fields of a map's kernel object read through the map
 * pointer (the descriptor holds them at `struct bpf_map`'s offsets), and a BTF raw tracepoint
 * reading a field of the task_struct its argument points to, or 0 through a pointer to nothing
 * (PROBE_MEM loads); on every engine, checked and not.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { BTF_KIND_FUNC, BTF_KIND_TYPEDEF, simKernelBtf } from '../../src/elf/index.js';
import { assemble } from '../../src/isa/index.js';
import { MAP_DESCRIPTOR_SIZE, MapDescriptor } from '../../src/maps/index.js';
import { createMachine } from '../../src/machines.js';
import { BPF_PROG_TYPE_TRACING, BPF_PROG_TYPE_XDP, BPF_TRACE_RAW_TP } from '../../src/uapi.js';
import { KernXdpBuff, KernXdpRxqInfo, SimBackend } from '../../src/vm/index.js';
import { VerifierRejectedError } from '../../src/verifier/index.js';

describe.each([['interp', true], ['jit', true], ['interp', false], ['jit', false]] as const)('on %s, checked %s', (engine, checked) => {
  const machine = createMachine();
  const sim = new SimBackend({ machine, checked, engine });
  afterAll(() => sim.close());

  test("a map pointer reads the map's max_entries, type, key size, id and name", () => {
    const map = sim.createMap({ type: 2, keySize: 4, valueSize: 12, maxEntries: 7, name: 'cfg' });
    const read = (field: string): number => {
      const { program } = sim.loadProgram({ type: BPF_PROG_TYPE_XDP, insns: assemble(`r1 = map[idx:0]\n${field}\nexit`).insns, maps: [map] });
      try {
        return program.testRun({ data: new Uint8Array(64) }).retval;
      } finally {
        program.close();
      }
    };
    expect(read(`r0 = *(u32 *)(r1 +${MapDescriptor.max_entries})`)).toBe(7);
    expect(read(`r0 = *(u32 *)(r1 +${MapDescriptor.map_type})`)).toBe(2);
    expect(read(`r0 = *(u32 *)(r1 +${MapDescriptor.key_size})`)).toBe(4);
    expect(read(`r0 = *(u32 *)(r1 +${MapDescriptor.id})`)).toBe(map.id);
    expect(read(`r0 = *(u8 *)(r1 +${MapDescriptor.name + 2})`)).toBe('g'.charCodeAt(0));
    expect(read(`r0 = *(u32 *)(r1 +${MapDescriptor.elem_size})`)).toBe(16);
    expect(read(`r0 = *(u32 *)(r1 +${MapDescriptor.index_mask})`)).toBe(7);
    expect(MAP_DESCRIPTOR_SIZE).toBe(312);
    expect(() => read('*(u32 *)(r1 +76) = r1\nr0 = 0')).toThrow(VerifierRejectedError);
  });

  test('bpf_cast_to_kern_ctx gives the XDP frame\'s xdp_buff: data, data_end, frame_sz and rxq->queue_index', () => {
    const cast = simKernelBtf().find('bpf_cast_to_kern_ctx', BTF_KIND_FUNC)!;
    const read = (body: string): number => {
      const insns = assemble(`r6 = r1\ncall kfunc ${cast}\n${body}\nexit`).insns;
      const { program } = sim.loadProgram({ type: BPF_PROG_TYPE_XDP, insns });
      try {
        return program.testRun({ data: new Uint8Array(60) }).retval;
      } finally {
        program.close();
      }
    };
    const K = KernXdpBuff;
    expect(read(`r1 = *(u64 *)(r0 +${K.data})\nr2 = *(u64 *)(r0 +${K.data_end})\nr2 -= r1\nr0 = r2`)).toBe(60);
    expect(read(`r1 = *(u64 *)(r0 +${K.data})\nr2 = *(u32 *)(r6 +0)\nr1 -= r2\nr0 = r1`)).toBe(0);
    expect(read(`r0 = *(u32 *)(r0 +${K.frame_sz})`)).toBe(4096);
    expect(read(`r1 = *(u64 *)(r0 +${K.rxq})\nr0 = *(u32 *)(r1 +${KernXdpRxqInfo.queue_index})`)).toBe(0);
    expect(read(`r1 = *(u64 *)(r0 +${K.rxq})\nr2 = *(u64 *)(r1 +${KernXdpRxqInfo.dev})\nr0 = *(u32 *)(r2 +16)`)).toBe(0);
  });

  test('tp_btf sched_switch reads prev->pid through its trusted argument', () => {
    const btf = simKernelBtf();
    const insns = assemble('r2 = *(u64 *)(r1 +8)\nr0 = *(u32 *)(r2 +12)\nexit').insns;
    const attachBtfId = btf.find('btf_trace_sched_switch', BTF_KIND_TYPEDEF)!;
    const { program, log } = sim.loadProgram({ type: BPF_PROG_TYPE_TRACING, expectedAttachType: BPF_TRACE_RAW_TP, attachBtfId, insns, logLevel: 2 });
    try {
      expect(log).toContain("func 'sched_switch' arg1 has btf_id");
      expect(log).toContain('R2=trusted_ptr_task_struct()');
      const run = (prev: bigint): number => {
        const args = new Uint8Array(32);
        new DataView(args.buffer).setBigUint64(8, prev, true);
        return program.testRun({ ctx: args, repeat: 0, ctxSizeOut: 0 }).retval;
      };
      expect(run(BigInt(machine.task.address))).toBe(1000);
      // A load through a kernel pointer is a PROBE_MEM load: where nothing is mapped it gives 0.
      expect([run(0n), run(8n), run(0xdead00000000n), run(0xffffffff_fffffff0n)]).toEqual([0, 0, 0, 0]);
    } finally {
      program.close();
    }
    const bad = assemble('r2 = *(u64 *)(r1 +8)\nr0 = *(u32 *)(r2 +64)\nexit').insns;
    expect(() => sim.loadProgram({ type: BPF_PROG_TYPE_TRACING, expectedAttachType: BPF_TRACE_RAW_TP, attachBtfId, insns: bad }))
      .toThrow(/access beyond struct task_struct at off 64 size 4/);
  });
});
