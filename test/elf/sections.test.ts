import { describe, expect, test } from 'vitest';
import * as U from '../../src/uapi.js';
import { LoadError, findSectionDef, loadCollectionSpec, prepareProgram, sectionTarget, simKernelBtf, supportedSectionNames } from '../../src/elf/index.js';
import { fixture } from './support/objects.js';

const cases: { name: string; type: number; attach: number; flags?: number }[] = [
  { name: 'xdp', type: U.BPF_PROG_TYPE_XDP, attach: U.BPF_XDP },
  { name: 'xdp.frags', type: U.BPF_PROG_TYPE_XDP, attach: U.BPF_XDP, flags: U.BPF_F_XDP_HAS_FRAGS },
  { name: 'xdp/devmap', type: U.BPF_PROG_TYPE_XDP, attach: U.BPF_XDP_DEVMAP },
  { name: 'tc', type: U.BPF_PROG_TYPE_SCHED_CLS, attach: 0 },
  { name: 'tc/ingress', type: U.BPF_PROG_TYPE_SCHED_CLS, attach: U.BPF_TCX_INGRESS },
  { name: 'tcx/egress', type: U.BPF_PROG_TYPE_SCHED_CLS, attach: U.BPF_TCX_EGRESS },
  { name: 'classifier', type: U.BPF_PROG_TYPE_SCHED_CLS, attach: 0 },
  { name: 'action', type: U.BPF_PROG_TYPE_SCHED_ACT, attach: 0 },
  { name: 'socket', type: U.BPF_PROG_TYPE_SOCKET_FILTER, attach: 0 },
  { name: 'cgroup_skb/ingress', type: U.BPF_PROG_TYPE_CGROUP_SKB, attach: U.BPF_CGROUP_INET_INGRESS },
  { name: 'cgroup/connect6', type: U.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, attach: U.BPF_CGROUP_INET6_CONNECT },
  { name: 'cgroup/sendmsg4', type: U.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, attach: U.BPF_CGROUP_UDP4_SENDMSG },
  { name: 'cgroup/recvmsg6', type: U.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, attach: U.BPF_CGROUP_UDP6_RECVMSG },
  { name: 'cgroup/bind4', type: U.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, attach: U.BPF_CGROUP_INET4_BIND },
  { name: 'cgroup/sock_create', type: U.BPF_PROG_TYPE_CGROUP_SOCK, attach: U.BPF_CGROUP_INET_SOCK_CREATE },
  { name: 'sk_skb/stream_verdict', type: U.BPF_PROG_TYPE_SK_SKB, attach: U.BPF_SK_SKB_STREAM_VERDICT },
  { name: 'sk_skb/stream_parser', type: U.BPF_PROG_TYPE_SK_SKB, attach: U.BPF_SK_SKB_STREAM_PARSER },
  { name: 'sk_skb/verdict', type: U.BPF_PROG_TYPE_SK_SKB, attach: U.BPF_SK_SKB_VERDICT },
  { name: 'sk_skb', type: U.BPF_PROG_TYPE_SK_SKB, attach: 0 },
  { name: 'sk_msg', type: U.BPF_PROG_TYPE_SK_MSG, attach: U.BPF_SK_MSG_VERDICT },
  { name: 'sockops', type: U.BPF_PROG_TYPE_SOCK_OPS, attach: U.BPF_CGROUP_SOCK_OPS },
  { name: 'kprobe/do_unlinkat', type: U.BPF_PROG_TYPE_KPROBE, attach: 0 },
  { name: 'kretprobe/do_unlinkat', type: U.BPF_PROG_TYPE_KPROBE, attach: 0 },
  { name: 'uprobe/lib.so:func', type: U.BPF_PROG_TYPE_KPROBE, attach: 0 },
  { name: 'tracepoint/syscalls/sys_enter_openat', type: U.BPF_PROG_TYPE_TRACEPOINT, attach: 0 },
  { name: 'tp/sched/sched_switch', type: U.BPF_PROG_TYPE_TRACEPOINT, attach: 0 },
  { name: 'raw_tp/sched_switch', type: U.BPF_PROG_TYPE_RAW_TRACEPOINT, attach: 0 },
  { name: 'raw_tracepoint/sys_enter', type: U.BPF_PROG_TYPE_RAW_TRACEPOINT, attach: 0 },
  { name: 'tp_btf/sched_switch', type: U.BPF_PROG_TYPE_TRACING, attach: U.BPF_TRACE_RAW_TP },
  { name: 'perf_event', type: U.BPF_PROG_TYPE_PERF_EVENT, attach: 0 },
  { name: 'fentry/do_unlinkat', type: U.BPF_PROG_TYPE_TRACING, attach: U.BPF_TRACE_FENTRY },
  { name: 'fexit/do_unlinkat', type: U.BPF_PROG_TYPE_TRACING, attach: U.BPF_TRACE_FEXIT },
  { name: 'fentry.s/do_unlinkat', type: U.BPF_PROG_TYPE_TRACING, attach: U.BPF_TRACE_FENTRY, flags: U.BPF_F_SLEEPABLE },
  { name: 'lsm/file_open', type: U.BPF_PROG_TYPE_LSM, attach: U.BPF_LSM_MAC },
  { name: 'iter/task', type: U.BPF_PROG_TYPE_TRACING, attach: U.BPF_TRACE_ITER },
  { name: 'syscall', type: U.BPF_PROG_TYPE_SYSCALL, attach: 0, flags: U.BPF_F_SLEEPABLE },
];

describe('section names', () => {
  test.each(cases)('$name', ({ name, type, attach, flags = 0 }) => {
    expect(findSectionDef(name)).toMatchObject({ progType: type, attachType: attach, flags });
  });

  test.each(['kprobe', 'kprobe/', 'kprobe/x+4'])('%s is a kprobe', (name) => {
    expect(findSectionDef(name)?.progType).toBe(U.BPF_PROG_TYPE_KPROBE);
  });

  test.each(['xdpfoo', 'kprobex', 'tc/ingres', 'my_section', '.text'])('%s is not a program section', (name) => {
    expect(findSectionDef(name)).toBeUndefined();
  });

  test('the target after the slash', () => {
    expect(sectionTarget('fentry/do_unlinkat')).toBe('do_unlinkat');
    expect(sectionTarget('tracepoint/syscalls/sys_enter_openat')).toBe('syscalls/sys_enter_openat');
    expect(sectionTarget('xdp')).toBe('');
  });
});

describe('a program in an unknown section', () => {
  // tc_counter.o with its tcx/ingress section renamed (in .strtab and in the BTF strings).
  const renamed = fixture('tc_counter.o');
  const text = new TextDecoder('latin1').decode(renamed);
  for (let at = text.indexOf('\0tcx/ingress\0'); at >= 0; at = text.indexOf('\0tcx/ingress\0', at + 1)) {
    renamed.set(new TextEncoder().encode('my/custom_1'), at + 1);
  }

  test('loads as a spec with an unknown type, and refuses to load with the supported names listed', () => {
    const spec = loadCollectionSpec(renamed);
    const p = spec.programs['tcx_len_filter']!;
    expect(p.section).toBe('my/custom_1');
    expect(p.type).toBe(0);
    let err: unknown;
    try {
      prepareProgram(spec, 'tcx_len_filter', { maps: {}, target: simKernelBtf() });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LoadError);
    expect((err as Error).message).toMatch(/unknown program type for section 'my\/custom_1'.*Supported section names: socket, .*tc\/ingress.*xdp/);
    expect(supportedSectionNames()).toContain('kprobe[/…]');
  });

  test('the type can be forced, by program or section name, or by editing the spec', () => {
    expect(loadCollectionSpec(renamed, { programTypes: { tcx_len_filter: U.BPF_PROG_TYPE_SCHED_CLS } }).programs['tcx_len_filter']!.type)
      .toBe(U.BPF_PROG_TYPE_SCHED_CLS);
    const bySection = loadCollectionSpec(renamed, { programTypes: { 'my/custom_1': { type: U.BPF_PROG_TYPE_SCHED_CLS, attachType: U.BPF_TCX_EGRESS } } });
    expect(bySection.programs['tcx_len_filter']).toMatchObject({ type: U.BPF_PROG_TYPE_SCHED_CLS, expectedAttachType: U.BPF_TCX_EGRESS });
    const spec = loadCollectionSpec(renamed);
    spec.programs['tcx_len_filter']!.type = U.BPF_PROG_TYPE_SCHED_CLS;
    expect(prepareProgram(spec, 'tcx_len_filter', { maps: {}, target: simKernelBtf() }).loadSpec.type).toBe(U.BPF_PROG_TYPE_SCHED_CLS);
  });
});
