import type { LiveMessage, WatchRequest } from '../wire.js';
import { api } from './api.js';
import type { ConsoleState } from './state.js';

const MAX_RETRY_MS = 10_000;

/**
 * Keeps the live feed open: on every (re)connect it first catches up from the alert stream after the
 * last alert the page holds, then reloads the board and the open call (calls may have started, ended
 * or been tagged meanwhile). Nothing is lost across a reconnect or a slow-browser disconnect.
 */
export class LiveConnection {
  private socket: WebSocket | undefined;
  private retries = 0;
  private stopped = false;

  constructor(
    private readonly state: ConsoleState,
    private readonly reloadDetail: () => Promise<void>,
  ) {}

  start(): void {
    this.stopped = false;
    this.open();
  }

  stop(): void {
    this.stopped = true;
    this.socket?.close();
  }

  /**
   * Opens a call (or none): the feed then sends that call's transcript lines. Sent before the call's
   * detail is loaded, so no line falls between the load and the feed (the state keeps the early ones).
   */
  watch(callId: string | undefined): void {
    this.state.watch(callId);
    this.sendWatch();
  }

  private sendWatch(): void {
    const socket = this.socket;
    if (socket?.readyState !== WebSocket.OPEN) return;
    const request: WatchRequest = { type: 'watch', ...(this.state.watchedCallId ? { callId: this.state.watchedCallId } : {}) };
    socket.send(JSON.stringify(request));
  }

  private open(): void {
    const resumeFrom = this.state.lastAlertId;
    const socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/console/live`);
    this.socket = socket;
    this.state.setConnection('connecting');
    socket.onmessage = (event: MessageEvent<string>) => this.state.apply(JSON.parse(event.data) as LiveMessage[]);
    socket.onopen = () => {
      this.retries = 0;
      this.sendWatch();
      void this.catchUp(resumeFrom).then(
        () => this.state.setConnection('live'),
        () => socket.close(),
      );
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.state.setConnection('offline');
      if (this.stopped) return;
      const delay = Math.min(MAX_RETRY_MS, 250 * 2 ** this.retries++);
      setTimeout(() => this.open(), delay);
    };
  }

  private async catchUp(from: string): Promise<void> {
    let after = from;
    for (;;) {
      const page = await api.alerts(after);
      this.state.addAlerts(page.entries, page.acks);
      if (page.entries.length === 0 || page.lastId === after) break;
      after = page.lastId;
    }
    this.state.setCalls((await api.calls()).calls);
    await this.reloadDetail();
  }
}
