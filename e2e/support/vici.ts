import { ViciCommands, ViciSession } from '../../src/vici';

/** Runs fn against a gateway's charon over its VICI socket (a short-lived session). */
export async function withVici<T>(socketPath: string, fn: (c: ViciCommands) => Promise<T>): Promise<T> {
  const session = new ViciSession({ socketPath, timeoutMs: 10_000, reconnect: false });
  await session.connect();
  try {
    return await fn(new ViciCommands(session));
  } finally {
    await session.close();
  }
}
