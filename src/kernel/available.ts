import { encodeInsns, insn, BPF_ALU64, BPF_EXIT, BPF_JMP, BPF_K, BPF_MOV } from '../isa/index.js';
import { loadAddon } from './addon.js';
import { ERRNO, errnoName } from '../errno.js';
import { logSummary } from './errno.js';
import { BPF_MAP_TYPE_ARRAY, BPF_PROG_TYPE_SOCKET_FILTER } from '../uapi.js';

/** Whether the kernel backend works here, or a sentence saying why not and what to do. */
export type KernelAvailability = { ok: true } | { ok: false; reason: string };

let answer: KernelAvailability | undefined;

/**
 * Whether bpfsim can use the running kernel: the addon loads, and the kernel lets this process
 * load a 2-instruction socket filter and create a 1-entry array map. Probed once per process.
 */
export function kernelAvailable(): KernelAvailability {
  answer ??= probe();
  return answer;
}

function probe(): KernelAvailability {
  const loaded = loadAddon();
  if (!loaded.ok) return loaded;
  const bpf = loaded.addon;
  const prog = bpf.progLoad({
    prog_type: BPF_PROG_TYPE_SOCKET_FILTER,
    insns: encodeInsns([insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0), insn(BPF_JMP | BPF_EXIT)]),
    log_level: 1,
    log_size: 1 << 16,
  });
  if (prog.errno !== 0) return refused(prog.errno, 'loading a 2-instruction socket filter', logSummary(prog.log));
  bpf.close(prog.fd);
  const map = bpf.mapCreate({ map_type: BPF_MAP_TYPE_ARRAY, key_size: 4, value_size: 4, max_entries: 1 });
  if (map.errno !== 0) return refused(map.errno, 'creating a 1-entry array map');
  bpf.close(map.fd);
  return { ok: true };
}

function refused(errno: number, what: string, detail?: string): KernelAvailability {
  switch (errno) {
    case ERRNO.EPERM:
      return {
        ok: false,
        reason: 'bpf() was refused with EPERM: the kernel backend needs root or CAP_BPF ' +
          '(+CAP_PERFMON, CAP_NET_ADMIN for some program types); in a container, a seccomp profile may block bpf() too',
      };
    case ERRNO.ENOSYS:
      return {
        ok: false,
        reason: 'the bpf() syscall is not available (ENOSYS): the kernel lacks CONFIG_BPF_SYSCALL, or a seccomp ' +
          'filter (as in many containers) blocks it; run on a host, or in a container that allows bpf()',
      };
    default:
      return { ok: false, reason: `${what} failed with ${errnoName(errno)} (${errno})${detail ? `: ${detail}` : ''}` };
  }
}
