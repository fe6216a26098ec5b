// Long-lived event subscriptions on a connection of their own: a command in flight on a shared
// connection would hold back nothing, but a slow event consumer there would delay command
// replies, and unregistering a streamed command's event could cancel a subscription.
import type { ViciSection } from './message';
import { ViciSession } from './session';
import type { ConnectionChange, RequestOptions, SessionState, ViciEventHandler, ViciSessionOptions, ViciSubscription } from './session-types';

export class ViciEventStream {
  private readonly session: ViciSession;

  constructor(options: ViciSessionOptions) {
    this.session = new ViciSession(options);
  }

  get state(): SessionState {
    return this.session.state;
  }

  connect(): Promise<void> {
    return this.session.connect();
  }

  /** e.g. subscribe(['ike-updown', 'child-updown'], (name, msg) => ...). Re-registered after reconnects. */
  subscribe(events: readonly string[], handler: ViciEventHandler, options?: RequestOptions): Promise<ViciSubscription> {
    return this.session.subscribe(events, handler, options);
  }

  /** 'connected' with reconnected=true means events may have been missed: resynchronise. */
  onConnectionChange(listener: (change: ConnectionChange) => void): () => void {
    return this.session.onConnectionChange(listener);
  }

  /** Every event received, whichever subscription asked for it. */
  onEvent(listener: (name: string, message: ViciSection) => void): () => void {
    return this.session.onEvent(listener);
  }

  close(): Promise<void> {
    return this.session.close();
  }
}
