import type { BpfMap } from './base.js';
import { createMap } from './create.js';
import { RingbufMap } from './ringbuf.js';
import type { MapSpec } from './spec.js';
import type { MapEnv } from './types.js';

/**
 * The maps of one Machine: creates them, numbers them with ids from 1 (as the kernel's map ids),
 * and finds them by id, by name and by the address programs hold, for as long as they exist.
 * Closing the registry closes every map in it.
 */
export class MapRegistry {
  private readonly byIdTable = new Map<number, BpfMap>();
  private readonly byAddressTable = new Map<number, BpfMap>();
  private nextId = 1;

  constructor(
    /** The Machine's services, which new maps use. */
    readonly env: MapEnv,
  ) {}

  /** Creates a map (see createMap) and registers it. */
  create(spec: MapSpec): BpfMap {
    return this.add(createMap(this.env, spec));
  }

  /** Registers a map created elsewhere, giving it the next id; it stays registered until it is freed. */
  add(map: BpfMap): BpfMap {
    map.id = this.nextId++;
    this.byIdTable.set(map.id, map);
    this.byAddressTable.set(map.address, map);
    map.onFree(() => {
      this.byIdTable.delete(map.id);
      this.byAddressTable.delete(map.address);
    });
    return map;
  }

  /** The map with this id. */
  byId(id: number): BpfMap | undefined {
    return this.byIdTable.get(id);
  }

  /** The first registered map with this name. */
  byName(name: string): BpfMap | undefined {
    for (const map of this.byIdTable.values()) if (map.name === name) return map;
    return undefined;
  }

  /** The map whose pointer (descriptor address) is `address`. */
  byAddress(address: number): BpfMap | undefined {
    return this.byAddressTable.get(address);
  }

  /** The ring buffer whose data area holds `addr`: where `bpf_ringbuf_submit(addr)` goes. */
  ringbufFor(addr: number): RingbufMap | undefined {
    for (const map of this.byIdTable.values()) if (map instanceof RingbufMap && map.contains(addr)) return map;
    return undefined;
  }

  /** Every registered map, by id. */
  all(): BpfMap[] {
    return [...this.byIdTable.values()];
  }

  /** Closes a map; the registry forgets it once it is freed (an outer map may still hold it). */
  remove(map: BpfMap): void {
    map.close();
  }

  /** Closes every map. */
  close(): void {
    for (const map of this.all()) map.close();
  }
}
