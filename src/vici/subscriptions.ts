// Who wants which events on a session, and delivery to them. The wire side (register and
// unregister packets) stays in ViciSession; this only keeps the books.
import type { ViciSection } from './message';
import type { ViciEventHandler } from './session-types';

export interface Subscription {
  readonly events: ReadonlySet<string>;
  readonly handler: ViciEventHandler;
}

/** Calls fn; a throwing handler is reported, never allowed to break the socket's data loop. */
export function callSafely(fn: () => void, warn?: (message: string) => void): void {
  try {
    fn();
  } catch (err) {
    warn?.(`VICI handler threw: ${String(err)}`);
  }
}

export class Subscriptions {
  private readonly subs = new Set<Subscription>();
  private readonly listeners = new Set<ViciEventHandler>();

  constructor(private readonly warn?: (message: string) => void) {}

  get size(): number {
    return this.subs.size;
  }

  add(events: readonly string[], handler: ViciEventHandler): Subscription {
    const sub: Subscription = { events: new Set(events), handler };
    this.subs.add(sub);
    return sub;
  }

  /** Removes `sub`; returns the event names nobody wants any more (to unregister). */
  remove(sub: Subscription): string[] {
    if (!this.subs.delete(sub)) return [];
    const still = this.wanted();
    return [...sub.events].filter((e) => !still.has(e));
  }

  /** Every event name some subscription wants. */
  wanted(): Set<string> {
    return new Set([...this.subs].flatMap((s) => [...s.events]));
  }

  /** A listener for every event, subscribed or not. Returns its remover. */
  listen(listener: ViciEventHandler): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  deliver(name: string, message: ViciSection): void {
    for (const sub of this.subs) {
      if (sub.events.has(name)) callSafely(() => sub.handler(name, message), this.warn);
    }
    for (const listener of this.listeners) callSafely(() => listener(name, message), this.warn);
  }
}
