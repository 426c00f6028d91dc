import { formatBenchTable, runBench } from '../../bench/index.js';
import { parseFlags, str } from '../usage.js';
import type { Command } from '../usage.js';

/** `bpfsim bench`: the benchmark table. */
export const benchCommand: Command = {
  name: 'bench',
  summary: 'time the benchmark programs on every engine',
  usage: `usage: bpfsim bench [--json] [--engine E[,E…]] [--only P[,P…]] [--min-time MS]

Runs the project's benchmark programs (empty, alu_loop, checksum, parse_udp, muldiv, stack,
map_lookup) on each engine and prints ns per run and millions of instructions per second, each
engine's time relative to the kernel's (or the first engine's), the cost of checked mode and the
time to prepare each program, as a table and then as JSON; --json prints only the JSON.`,
  run(argv, io) {
    const p = parseFlags('bench', argv, {
      json: { type: 'boolean' }, engine: { type: 'string' }, only: { type: 'string' }, 'min-time': { type: 'string' },
    });
    if (p.values['help']) return io.out(benchCommand.usage + '\n'), 0;
    const list = (v: string | undefined): string[] | undefined => v?.split(',').map((s) => s.trim()).filter(Boolean);
    const engines = list(str(p, 'engine'));
    const only = list(str(p, 'only'));
    const minTime = str(p, 'min-time');
    const rows = runBench({
      ...(engines ? { engines } : {}),
      ...(only ? { only } : {}),
      ...(minTime ? { minTimeMs: Number(minTime) } : {}),
    });
    const json = JSON.stringify({ node: process.version, rows }, null, 2);
    io.out(p.values['json'] ? json + '\n' : formatBenchTable(rows) + '\n\n' + json + '\n');
    return 0;
  },
};
