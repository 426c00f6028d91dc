/**
 * check_map_func_compatibility for socket maps: which helpers take a SOCKMAP or SOCKHASH, which
 * maps the socket redirect and update helpers take, and which program types may delete socket-map
 * elements (may_update_sockmap) — bpfsim's verdicts and messages, and the kernel's where bpf() is.
 */
import { describe, expect, test } from 'vitest';
import { assemble, encodeInsns } from '../../src/isa/index.js';
import { KernelMap, kernelAvailable, nativeBpf } from '../../src/kernel/index.js';
import { progTypeByName } from '../../src/vm/index.js';
import { verifyProgram } from '../../src/verifier/index.js';
import { kernelReason } from './support/verdicts.js';

const MAPS = [
  { type: 2, keySize: 4, valueSize: 8, maxEntries: 4, name: 'arr' },
  { type: 15, keySize: 4, valueSize: 8, maxEntries: 4, name: 'sockmap' },
  { type: 18, keySize: 4, valueSize: 8, maxEntries: 4, name: 'sockhash' },
] as const;
const MAP_INFOS = MAPS.map((m) => ({ ...m, flags: 0 }));

const available = kernelAvailable();
if (!available.ok) console.log(`socket-map rules are checked on bpfsim only: ${available.reason}`);

/** `call` with r1 = ctx, r2 = map[idx], r3 = key (a value or a stack pointer), r4 = 0. */
function redirect(helper: string, map: number, keyOnStack: boolean): string {
  const key = keyOnStack ? 'r3 = r10\nr3 += -4' : 'r3 = 0';
  return `r2 = 0\n*(u32 *)(r10 -4) = r2\nr2 = map[idx:${map}]\n${key}\nr4 = 0\ncall ${helper}\nr0 = 1\nexit`;
}

function mapDelete(map: number): string {
  return `r2 = 0\n*(u32 *)(r10 -4) = r2\nr1 = map[idx:${map}]\nr2 = r10\nr2 += -4\ncall bpf_map_delete_elem\nr0 = 0\nexit`;
}

const cases: { name: string; type: string; asm: string; expect: string }[] = [
  { name: 'sk_redirect_map takes a SOCKMAP', type: 'sk_skb', asm: redirect('bpf_sk_redirect_map', 1, false), expect: '' },
  { name: 'sk_redirect_map refuses an ARRAY', type: 'sk_skb', asm: redirect('bpf_sk_redirect_map', 0, false), expect: 'cannot pass map_type 2 into func bpf_sk_redirect_map#52' },
  { name: 'sk_redirect_map refuses a SOCKHASH', type: 'sk_skb', asm: redirect('bpf_sk_redirect_map', 2, false), expect: 'cannot pass map_type 18 into func bpf_sk_redirect_map#52' },
  { name: 'sk_redirect_hash takes a SOCKHASH', type: 'sk_skb', asm: redirect('bpf_sk_redirect_hash', 2, true), expect: '' },
  { name: 'sk_redirect_hash refuses a SOCKMAP', type: 'sk_skb', asm: redirect('bpf_sk_redirect_hash', 1, true), expect: 'cannot pass map_type 15 into func bpf_sk_redirect_hash#72' },
  { name: 'XDP may delete SOCKMAP elements', type: 'xdp', asm: mapDelete(1), expect: '' },
  { name: 'tc may delete SOCKHASH elements', type: 'sched_cls', asm: mapDelete(2), expect: '' },
  { name: 'sock_ops may delete SOCKMAP elements', type: 'sock_ops', asm: mapDelete(1), expect: '' },
  { name: 'a kprobe may not delete SOCKMAP elements', type: 'kprobe', asm: mapDelete(1), expect: 'cannot update sockmap in this context' },
  { name: 'sk_skb may not delete SOCKHASH elements', type: 'sk_skb', asm: mapDelete(2), expect: 'cannot update sockmap in this context' },
];

describe('socket maps and the helpers that take them', () => {
  test.each(cases)('$name', (c) => {
    const type = progTypeByName(c.type)!;
    const insns = assemble(c.asm).insns;
    const r = verifyProgram(insns, { progType: type, maps: MAP_INFOS });
    expect(r.ok ? '' : r.errors[0]!.message.split('\n')[0]).toBe(c.expect);
    if (!available.ok) return;
    const maps = MAPS.map((m) => KernelMap.create(m));
    try {
      const k = nativeBpf().progLoad({
        prog_type: type, insns: encodeInsns(insns), license: 'GPL', log_level: 1, log_size: 1 << 20, fd_array: maps.map((m) => m.fd.raw),
      });
      if (k.fd >= 0) nativeBpf().close(k.fd);
      expect(k.errno ? kernelReason(k.log).split('\n')[0] : '').toBe(c.expect);
    } finally {
      for (const m of maps) m.close();
    }
  });
});

test('a helper the program type may call but bpfsim has no prototype for is a typed refusal, not a crash', () => {
  const r = verifyProgram(assemble(redirect('bpf_msg_redirect_map', 1, false)).insns, { progType: progTypeByName('sk_msg')!, maps: MAP_INFOS });
  expect(r.ok).toBe(false);
  expect(r.errno).toBe(22);
  expect(r.errors[0]!.message).toMatch(/^bpfsim has no prototype for helper bpf_msg_redirect_map#60 yet/);
});
