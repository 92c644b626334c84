import type { WsProtocolAdapter } from './adapter.js';
import { audiohookAdapter } from './audiohook/adapter.js';
import { forkAdapter } from './fork/adapter.js';
import { streamAdapter } from './stream/adapter.js';
import { twilioAdapter } from './twilio/adapter.js';
import { voskAdapter } from './vosk/adapter.js';

/** Every WebSocket protocol the engine speaks, routed by path. Adding a protocol = one line here. */
export const WS_ADAPTERS: readonly WsProtocolAdapter[] = [streamAdapter, twilioAdapter, audiohookAdapter, forkAdapter, voskAdapter];
