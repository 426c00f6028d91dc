import { currentHelpers } from './current.js';
import { dynptrHelpers } from './dynptr.js';
import { userRingbufDrain } from './userRingbuf.js';
import { loop } from './loop.js';
import {
  forEachMapElem, mapDeleteElem, mapLookupElem, mapLookupPercpuElem, mapPeekElem, mapPopElem, mapPushElem, mapUpdateElem, tailCall,
} from './maps.js';
import { outputHelpers } from './output.js';
import { printfHelpers } from './printf/index.js';
import { probeReadHelpers } from './probeRead.js';
import { spinLock, spinUnlock } from './spinLock.js';
import { stackHelpers } from './stack.js';
import { stringHelpers } from './strings.js';
import { HelperTable } from './table.js';
import { timeHelpers } from './time.js';
import { timerHelpers } from './timer.js';
import type { HelperDef } from './types.js';
import { packetHelpers } from './packet/index.js';

export * from './types.js';
export * from './proto.js';
export * from './args.js';
export * from './fault.js';
export * from './table.js';
export * from './progTypes.js';
export * from './loadCheck.js';
export * from './time.js';
export * from './maps.js';
export * from './loop.js';
export * from './output.js';
export * from './task.js';
export * from './memory.js';
export * from './current.js';
export * from './probeRead.js';
export * from './spinLock.js';
export * from './stack.js';
export * from './timer.js';
export * from './timerQueue.js';
export * from './strings.js';
export * from './printf/index.js';
export * from './packet.js';
export * from './packet/index.js';
export * from './kfuncs.js';
export * from './dynptr.js';
export * from './dynptrLayout.js';
export * from './userRingbuf.js';

/** Every helper bpfsim implements outside the packet helpers. */
export const coreHelpers: readonly HelperDef[] = [
  mapLookupElem, mapUpdateElem, mapDeleteElem, mapPushElem, mapPopElem, mapPeekElem, mapLookupPercpuElem, forEachMapElem,
  loop, tailCall, spinLock, spinUnlock, ...timeHelpers, ...outputHelpers, ...currentHelpers, ...probeReadHelpers, ...stringHelpers, ...printfHelpers,
  ...timerHelpers, ...stackHelpers, ...dynptrHelpers, userRingbufDrain,
];

/** A new table holding every helper bpfsim implements. */
export function defaultHelpers(): HelperTable {
  return new HelperTable([...coreHelpers, ...packetHelpers()]);
}
