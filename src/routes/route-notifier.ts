// "The routes of VPC x may have changed": published by the API (tunnel edits, deletes) and by the
// worker (connection state changes), delivered to every API replica holding agents' long polls.
import { EventEmitter } from 'events';
import IORedis from 'ioredis';

export const ROUTES_CHANNEL = 'vpn-console:routes-changed';

export async function publishRoutesChanged(redis: IORedis, vpcId: string): Promise<void> {
  await redis.publish(ROUTES_CHANNEL, vpcId);
}

/**
 * One subscriber connection per process; long polls wait on `waitForChange(vpcId)`. Each VPC's
 * changes are counted (its generation): a poll notes the generation before reading the routes and
 * waits "since" it, so a change that lands while it reads is not missed.
 */
export class RouteChangeListener {
  private readonly emitter = new EventEmitter();
  private readonly generations = new Map<string, number>(); // one number per VPC ever changed
  private subscriber: IORedis | null = null;

  constructor(private readonly redisUrl: string) {
    this.emitter.setMaxListeners(0); // one listener per waiting agent
  }

  /** Never blocks start-up: with Redis away, waits end by their timeout (ioredis re-subscribes later). */
  start(): void {
    this.subscriber = new IORedis(this.redisUrl, { maxRetriesPerRequest: null });
    this.subscriber.on('message', (_channel: string, vpcId: string) => this.notify(vpcId));
    this.subscriber.on('error', () => undefined);
    void this.subscriber.subscribe(ROUTES_CHANNEL).catch(() => undefined);
  }

  /** Also used in-process (this API's own changes) so a lost Redis message costs only latency. */
  notify(vpcId: string): void {
    this.generations.set(vpcId, this.generation(vpcId) + 1);
    this.emitter.emit(vpcId);
  }

  /** How many changes of the VPC this process has heard of. */
  generation(vpcId: string): number {
    return this.generations.get(vpcId) ?? 0;
  }

  /**
   * Resolves at the next change of the VPC's routes, or after `ms`. With `since` (a generation),
   * at once when the VPC changed after it.
   */
  waitForChange(vpcId: string, ms: number, since?: number): Promise<'changed' | 'timeout'> {
    if (since !== undefined && this.generation(vpcId) !== since) return Promise.resolve('changed');
    return new Promise((resolve) => {
      const done = (result: 'changed' | 'timeout') => {
        clearTimeout(timer);
        this.emitter.off(vpcId, onChange);
        resolve(result);
      };
      const onChange = () => done('changed');
      const timer = setTimeout(() => done('timeout'), Math.max(0, ms));
      this.emitter.on(vpcId, onChange);
    });
  }

  async stop(): Promise<void> {
    this.subscriber?.disconnect();
  }
}
