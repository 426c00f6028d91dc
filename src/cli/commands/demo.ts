import { RAW_PROLOGUE, benchPacket, benchPrograms } from '../../bench/index.js';
import { assemble, disasm, encodeInsns } from '../../isa/index.js';
import { Machine, Stepper } from '../../vm/index.js';
import { parseFlags } from '../usage.js';
import type { Command } from '../usage.js';

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

/** `bpfsim demo`: what `npm start` shows. */
export const demoCommand: Command = {
  name: 'demo',
  summary: 'a guided tour: assemble, disassemble, run and step a packet parser',
  usage: `usage: bpfsim demo

Assembles a small Ethernet/IPv4/UDP parser, shows its bytecode and disassembly, runs it on a
sample packet and steps through its first instructions, explaining each step.`,
  run(argv, io) {
    const p = parseFlags('demo', argv, {});
    if (p.values['help']) return io.out(demoCommand.usage + '\n'), 0;
    const parser = benchPrograms.find((b) => b.name === 'parse_udp')!;
    const source = RAW_PROLOGUE + parser.body;
    const say = (s: string): void => io.out(s + '\n');

    say('bpfsim demo — an eBPF program from source text to result\n');
    say('1. Assemble. The parser reads the Ethernet type, the IPv4 header length and protocol, and');
    say('   returns the UDP destination port (or 1 when the packet is not IPv4/UDP):');
    const { insns } = assemble(source);
    const bytes = encodeInsns(insns);
    say(`   ${insns.length} instruction slots, ${bytes.length} bytes of bytecode; the first two slots:`);
    say(`   ${hex(bytes.subarray(0, 8))}\n   ${hex(bytes.subarray(8, 16))}\n`);

    say('2. Disassemble the bytecode, in the syntax of the kernel verifier log:');
    for (const line of disasm(insns).split('\n')) say('   ' + line);

    const packet = benchPacket(parser.packetLen);
    say('\n3. Run it, unverified, in checked mode (every load is bounds-checked) on a 64-byte');
    say('   UDP packet to 10.0.0.2:53. r1 points at the packet, r2 holds its length:');
    say(`   ${hex(packet.subarray(0, 42))} …`);
    const machine = new Machine();
    const prog = machine.loadProgram({ name: 'parse_udp', insns });
    const r = prog.runRaw({ mem: packet });
    say(`   r0 = ${r.r0} (the UDP destination port), after ${r.insns} instructions.\n`);

    say('4. Step through the first instructions with the stepping API, as a debugger would:');
    const stepper = new Stepper(prog, { mem: packet });
    const lines = disasm(insns).split('\n');
    for (let i = 0; i < 6 && stepper.status !== 'exited'; i++) {
      const pc = stepper.pc;
      const text = lines.find((l) => l.startsWith(`${pc}:`)) ?? `${pc}`;
      stepper.step();
      const regs = stepper.regs().slice(0, 8).map((v, n) => `r${n}=0x${v.toString(16)}`).join(' ');
      say(`   ${text.padEnd(36)} → ${regs}`);
    }
    stepper.continue();
    say(`   … continue → ${stepper.status}, r0 = ${stepper.r0}\n`);
    stepper.close();
    say('Next: bpfsim run FILE, bpfsim asm FILE, bpfsim disasm FILE, bpfsim bench (bpfsim --help).');
    return 0;
  },
};
