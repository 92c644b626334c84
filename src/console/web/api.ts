import type { AckRequest, AckState, AlertsPage, BoardCall, CallDetail, DriversView } from '../wire.js';

/** Thrown for a 401: the page shows the login form. */
export class Unauthorized extends Error {}

async function request<T>(path: string, init?: RequestInit): Promise<T> {
  const res = await fetch(`/console/api/${path}`, { credentials: 'same-origin', ...init });
  if (res.status === 401) throw new Unauthorized('unauthorized');
  const body = (await res.json()) as T & { error?: string };
  if (!res.ok) throw new Error(body.error ?? `HTTP ${res.status}`);
  return body;
}

function post<T>(path: string, body: unknown): Promise<T> {
  return request<T>(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

export const api = {
  session: () => request<{ required: boolean; authenticated: boolean }>('session'),
  login: (key: string) => post<{ authenticated: boolean }>('login', { key }),
  logout: () => post<{ authenticated: boolean }>('logout', {}),
  calls: () => request<{ calls: BoardCall[] }>('calls'),
  call: (callId: string) => request<CallDetail>(`calls/${encodeURIComponent(callId)}`),
  alerts: (after?: string) => request<AlertsPage>(after ? `alerts?after=${encodeURIComponent(after)}` : 'alerts'),
  drivers: (periodMs: number) => request<DriversView>(`drivers?periodMs=${periodMs}`),
  ack: (body: AckRequest) => post<AckState>('ack', body),
};
