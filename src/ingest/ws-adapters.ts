import type { WsProtocolAdapter } from './adapter.js';
import { streamAdapter } from './stream/adapter.js';

/** Every WebSocket protocol the engine speaks, routed by path. Adding a protocol = one line here. */
export const WS_ADAPTERS: readonly WsProtocolAdapter[] = [streamAdapter];
