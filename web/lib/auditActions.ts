// Every audit action the server writes, for the audit log's filter: the
// same list, in the same order, as jarvis.AuditActions in audit.go (a Go
// test holds the two together).
export const auditActions: readonly string[] = [
  'auth.token_issued', 'auth.logout', 'auth.google_sign_in', 'auth.sign_in_refused',
  'google.connect', 'google.connect_refused', 'google.account_primary_changed', 'google.token_refresh', 'google.token_refresh_failed', 'google.token_decrypt_failed',
  'google.disconnect',
  'gmail.labels.list', 'gmail.threads.list', 'gmail.thread.get', 'gmail.message.get', 'gmail.attachment.get', 'gmail.draft.create',
  'gmail.draft.get', 'gmail.draft.update', 'gmail.draft.delete',
  'gmail.thread.modify', 'gmail.thread.trash', 'gmail.thread.untrash',
  'gmail.send.scheduled', 'gmail.send.cancelled', 'gmail.message.send',
  'calendar.events.list', 'calendar.freebusy.query',
  'calendar.event.create', 'calendar.event.update', 'calendar.event.delete', 'calendar.event.rsvp',
  'chat.tool_call', 'chat.approval_requested', 'chat.approval_approved', 'chat.approval_rejected', 'chat.conversation_deleted',
  'org.member_added', 'org.member_removed', 'org.role_changed',
  'org.member_invited', 'org.invitation_accepted', 'org.invitation_declined', 'org.invitation_revoked', 'org.member_left',
  'audit.read', 'authz.denied',
  'action.requested', 'action.approved', 'action.rejected', 'action.expired', 'action.executed', 'action.failed', 'policy.updated',
  'oauth.client_registered', 'oauth.consent_granted', 'oauth.consent_denied', 'oauth.token_issued', 'oauth.token_refreshed',
  'oauth.token_revoked', 'oauth.token_reuse_detected', 'oauth.app_revoked',
  'mcp.tool.call', 'mcp.personal_token.created', 'mcp.personal_token.revoked',
];

/** filterActions returns the known actions and any others seen in entries, sorted. */
export function filterActions(seen: Iterable<string>): string[] {
  const all = new Set<string>(auditActions);
  for (const a of seen) if (a) all.add(a);
  return [...all].sort();
}

/** breakable puts a word-break opportunity after each dot of an action name. */
export function actionParts(action: string): string[] {
  return action.split(/(?<=\.)/);
}
