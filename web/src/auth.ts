// The session: the API key and the role, kept in sessionStorage (gone when the tab closes).
export type Role = 'operator' | 'tenant';

const KEY = 'vpnConsole.apiKey';
const ROLE = 'vpnConsole.role';

export function getApiKey(): string | null {
  return sessionStorage.getItem(KEY);
}

export function getRole(): Role | null {
  const r = sessionStorage.getItem(ROLE);
  return r === 'operator' || r === 'tenant' ? r : null;
}

export function saveSession(apiKey: string, role: Role): void {
  sessionStorage.setItem(KEY, apiKey);
  sessionStorage.setItem(ROLE, role);
}

export function clearSession(): void {
  sessionStorage.removeItem(KEY);
  sessionStorage.removeItem(ROLE);
}

/**
 * Which kind of key this is: operators may list tenants, tenant keys get 403 there, and an
 * unknown or revoked key gets 401 (returned as null).
 */
export async function probeRole(apiKey: string): Promise<Role | null | 'error'> {
  try {
    const res = await fetch('/api/v1/tenants?limit=1', { headers: { Authorization: `Bearer ${apiKey}`, 'X-Login-Probe': '1' } });
    if (res.status === 200) return 'operator';
    if (res.status === 403) return 'tenant';
    if (res.status === 401) return null;
    return 'error';
  } catch {
    return 'error';
  }
}
