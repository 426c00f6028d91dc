import { defineHelper } from './table.js';
import type { HelperDef } from './types.js';

/** The simulated kernel's tick rate (`CONFIG_HZ`), as on the reference kernel. */
export const SIM_HZ = 250;
/** Nanoseconds per tick. */
export const TICK_NS = 1_000_000_000n / BigInt(SIM_HZ);
/** `jiffies` at boot: the kernel starts them 300 s before the 32-bit wrap (`INITIAL_JIFFIES`). */
export const INITIAL_JIFFIES = 2n ** 32n - 300n * BigInt(SIM_HZ);
/** Wall-clock time when the simulated kernel booted (monotonic 0): 2025-01-01T00:00:00Z, in ns. */
export const SIM_REALTIME_AT_BOOT_NS = 1_735_689_600_000_000_000n;
/** CLOCK_TAI − CLOCK_REALTIME; 0 until an NTP daemon sets it, as on the reference kernel. */
export const SIM_TAI_OFFSET_NS = 0n;

/** `bpf_ktime_get_ns` (id 5): the Machine's virtual monotonic clock. */
export const ktimeGetNs: HelperDef = defineHelper('ktime_get_ns', { ret: 'integer', args: [] }, (c) => c.env.nowNs());

/** `bpf_ktime_get_boot_ns`: CLOCK_BOOTTIME, which equals the monotonic clock since the simulator never suspends. */
export const ktimeGetBootNs: HelperDef = defineHelper('ktime_get_boot_ns', { ret: 'integer', args: [] }, (c) => c.env.nowNs());

/** `bpf_ktime_get_coarse_ns`: the monotonic clock as of the last tick. */
export const ktimeGetCoarseNs: HelperDef = defineHelper('ktime_get_coarse_ns', { ret: 'integer', args: [] },
  (c) => (c.env.nowNs() / TICK_NS) * TICK_NS);

/** `bpf_ktime_get_tai_ns`: CLOCK_TAI, the simulated wall clock plus the TAI offset. */
export const ktimeGetTaiNs: HelperDef = defineHelper('ktime_get_tai_ns', { ret: 'integer', args: [] },
  (c) => SIM_REALTIME_AT_BOOT_NS + SIM_TAI_OFFSET_NS + c.env.nowNs());

/** `bpf_jiffies64`: ticks since boot, counted from INITIAL_JIFFIES. */
export const jiffies64: HelperDef = defineHelper('jiffies64', { ret: 'integer', args: [] },
  (c) => INITIAL_JIFFIES + c.env.nowNs() / TICK_NS);

/** `bpf_get_prandom_u32` (id 7): the Machine's seeded generator. */
export const getPrandomU32: HelperDef = defineHelper('get_prandom_u32', { ret: 'integer', args: [] }, (c) => c.env.randomU32());

/** `bpf_get_smp_processor_id` (id 8): the simulated CPU the program runs on. */
export const getSmpProcessorId: HelperDef = defineHelper('get_smp_processor_id', { ret: 'integer', args: [] }, (c) => c.cpu);

/** `bpf_get_numa_node_id`: the simulated machine has one NUMA node, 0. */
export const getNumaNodeId: HelperDef = defineHelper('get_numa_node_id', { ret: 'integer', args: [] }, () => 0);

/** The clock, random and CPU helpers. */
export const timeHelpers: readonly HelperDef[] = [
  ktimeGetNs, ktimeGetBootNs, ktimeGetCoarseNs, ktimeGetTaiNs, jiffies64, getPrandomU32, getSmpProcessorId, getNumaNodeId,
];
