import type { HelperDef } from './types.js';

/** `bpf_ktime_get_ns` (id 5): the Machine's virtual monotonic clock. */
export const ktimeGetNs: HelperDef = { id: 5, name: 'bpf_ktime_get_ns', impl: (c) => c.env.nowNs() };

/** `bpf_get_prandom_u32` (id 7): the Machine's seeded generator. */
export const getPrandomU32: HelperDef = { id: 7, name: 'bpf_get_prandom_u32', impl: (c) => c.env.randomU32() };

/** `bpf_get_smp_processor_id` (id 8): the simulated CPU the program runs on. */
export const getSmpProcessorId: HelperDef = { id: 8, name: 'bpf_get_smp_processor_id', impl: (c) => c.cpu };
