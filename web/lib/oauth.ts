// MCP clients and Jarvis's OAuth server: the consent page and Settings →
// Connected apps.

import { request } from './api';

/** The MCP scopes, in the order they are shown, with what each lets a client do. */
export const mcpScopes: { scope: string; label: string }[] = [
  { scope: 'mail.read', label: 'Read your mail (threads, messages, labels)' },
  { scope: 'mail.compose', label: 'Write drafts (you approve each in Jarvis)' },
  { scope: 'mail.send', label: 'Send mail (you approve each in Jarvis)' },
  { scope: 'mail.organize', label: 'Label, archive and trash threads (you approve each)' },
  { scope: 'calendar.read', label: 'Read your calendar and free/busy' },
  { scope: 'calendar.write', label: 'Create and change events (you approve each)' },
];

export function scopeLabel(scope: string): string {
  return mcpScopes.find((s) => s.scope === scope)?.label || scope;
}

export interface AuthRequest {
  id: string;
  client_id: string;
  client_name: string;
  client_uri?: string;
  client_type: 'metadata_document' | 'dynamic';
  redirect_uri: string;
  redirect_host: string;
  scopes: string[];
  expires_at: string;
}

export interface ConnectedApp {
  id: string;
  client_id: string;
  client_name: string;
  scopes: string[];
  accounts: string[];
  created_at: string;
  updated_at: string;
  last_used_at: string | null;
  /** When the latest authorization ends (90 days after consent by default); then the app must connect again. */
  expires_at: string;
}

export const oauthApi = {
  authRequest: (id: string) => request<AuthRequest>(`/oauth/consent/${encodeURIComponent(id)}`),
  decide: (id: string, allow: boolean, scopes: string[], accounts: string[]) =>
    request<{ redirect_to: string }>(`/oauth/consent/${encodeURIComponent(id)}`, { method: 'POST', body: { allow, scopes, accounts } }),
  apps: () => request<{ apps: ConnectedApp[] }>('/settings/apps'),
  revokeApp: (id: string) => request<void>(`/settings/apps/${encodeURIComponent(id)}`, { method: 'DELETE' }),
};

/** consentErrorText explains an authorization request Jarvis refused before trusting the client. */
export function consentErrorText(code: string): string {
  switch (code) {
    case 'invalid_client_id':
      return 'Jarvis does not know this app, or could not read its description (its client id).';
    case 'invalid_redirect_uri':
      return 'The app asked to send its answer to an address it did not register. Jarvis did not send it there.';
    default:
      return 'The app’s request is not valid.';
  }
}
