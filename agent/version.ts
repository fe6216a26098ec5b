// Sent as X-Agent-Version and in reports; bump with the agent's behaviour, not the console's.
export const AGENT_VERSION = '0.1.0';
