// Shapes of the Jarvis JSON API, as the dashboard reads them.

export interface Person {
  name: string;
  email: string;
}

export interface Org {
  id: string;
  name: string;
  slug: string;
  role: Role;
}

export type Role = 'owner' | 'admin' | 'member';

export interface GoogleConnection {
  status: 'active' | 'reauth_required' | 'revoked';
  email: string;
  scopes: string[];
}

/** Names the Google account an answer came from. */
export interface AccountRef {
  id: string;
  email: string;
}

/** One of the user's connected Google accounts, as GET /accounts lists it. */
export interface GoogleAccount {
  id: string;
  email: string;
  name: string;
  picture: string;
  primary: boolean;
  status: 'active' | 'reauth_required' | 'revoked';
  scopes: string[];
  connected_at: string;
  last_used_at: string | null;
}

export interface Me {
  user: { id: string; email: string; name: string; picture_url?: string };
  orgs: Org[];
  google: GoogleConnection | null;
}

export interface Label {
  id: string;
  name: string;
  type: 'system' | 'user';
  /** Counts, when the list was read from Jarvis's index (absent while an account's first sync runs). */
  messages_total?: number;
  messages_unread?: number;
  threads_total?: number;
  threads_unread?: number;
}

/** Where a listing was read: Jarvis's synced index, or Gmail itself. */
export type ReadSource = 'index' | 'gmail';

export interface LabelList {
  account?: AccountRef;
  labels: Label[];
  source?: ReadSource;
}

export interface ThreadSummary {
  id: string;
  subject: string;
  from: Person;
  date: string;
  snippet: string;
  message_count: number;
  unread: boolean;
  labels: string[];
  /** The senders in order of first appearance; the user's own address has me: true. */
  participants?: Participant[];
  /** The account the thread is in (in a listing of all accounts). */
  account?: AccountRef;
}

export interface Participant extends Person {
  me?: boolean;
}

export interface ThreadPage {
  /** The account listed; null when the page merges every account. */
  account?: AccountRef | null;
  /** The accounts merged (account=all), the primary first. */
  accounts?: AccountRef[];
  threads: ThreadSummary[];
  next_page_token?: string;
  source?: ReadSource;
}

/** How far an account's sync into Jarvis's index is (GET /accounts/{id}/sync). */
export interface SyncStatus {
  account: AccountRef;
  /** new, full, backfill, incremental or resync. */
  phase: string;
  done: number;
  total: number;
  /** Messages indexed per second since the listing began. */
  rate: number;
  /** Seconds left in the listing, when one runs. */
  eta?: number;
}

export interface Attachment {
  id: string;
  filename: string;
  mime_type: string;
  size: number;
  content_id?: string;
}

/**
 * Gmail's own check of a message's sender when it arrived (its
 * Authentication-Results from mx.google.com). verified_by is "" for mail
 * Gmail did not check: the user's own sent mail and drafts.
 */
export interface Authentication {
  verified_by: string;
  spf: string;
  dkim: string;
  dmarc: string;
  from_domain?: string;
  dkim_domain?: string;
  spf_domain?: string;
  sender_verified: boolean;
}

export interface Message {
  id: string;
  from: Person;
  to: Person[];
  cc: Person[];
  subject: string;
  date: string;
  snippet: string;
  text: string;
  html: string;
  attachments: Attachment[];
  labels: string[];
  message_id_header: string;
  /** Gmail's check of the sender; a From whose dmarc is not pass may be forged. */
  authentication?: Authentication;
  /** A draft's id in Gmail's Drafts (set on messages that are drafts). */
  draft_id?: string;
  /** The Reply-To header's addresses, when the message has one. */
  reply_to?: Person[];
}

/** The answer of a change to a thread: the thread as Gmail stores it afterwards. */
export interface ThreadChange {
  account: AccountRef;
  thread: ThreadSummary;
  /** Whether the local index has the change already (the inbox shows it). */
  indexed: boolean;
}

export interface Thread {
  account?: AccountRef;
  id: string;
  subject: string;
  messages: Message[];
}

export interface DraftRequest {
  to: string[];
  cc: string[];
  bcc: string[];
  subject: string;
  body_text: string;
  body_html?: string;
  reply_to_thread_id?: string;
}

export interface DraftResult {
  account?: AccountRef;
  draft_id: string;
  message_id: string;
  thread_id: string;
}

export interface Attendee {
  email: string;
  name: string;
  response_status: 'needsAction' | 'declined' | 'tentative' | 'accepted' | string;
  /** The guest's note with their answer. */
  comment?: string;
  /** The entry of the account whose calendar was read. */
  self?: boolean;
}

export interface CalendarEvent {
  id: string;
  summary: string;
  start: string;
  end: string;
  all_day: boolean;
  time_zone: string;
  location: string;
  attendees: Attendee[];
  organizer: { email: string; name: string } | null;
  meet_link: string;
  html_link: string;
  status: string;
  /** The account whose calendar holds the event. */
  account?: AccountRef;
  description?: string;
  /** RRULE/EXDATE lines of a recurring series. */
  recurrence?: string[];
  /** Set on an occurrence of a recurring event: the series' id. */
  recurring_event_id?: string;
}

export interface Proposal {
  to: string[];
  cc?: string[];
  bcc?: string[];
  subject: string;
  body_text: string;
  reply_to_thread_id?: string;
}

export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'expired' | 'failed';

export interface Approval {
  id: string;
  /** The approval queue's action (GET /actions/{id}): decided through /actions when set. */
  action_id?: string;
  /** The action's kind and one-line summary (a proposal other than a draft is its payload). */
  kind?: string;
  summary?: string;
  policy_flags?: string[] | null;
  tool: string;
  status: ApprovalStatus;
  proposal: Proposal;
  /** The Google account the draft is made in. */
  account?: AccountRef;
  result?: { draft_id: string; message_id?: string; thread_id: string };
  /** When a pending proposal stops being decidable. */
  expires_at?: string;
}

export interface ToolCall {
  id: string;
  name: string;
  arguments: unknown;
  ok?: boolean;
  summary?: string;
}

export interface ChatMessage {
  id: string;
  role: 'user' | 'assistant';
  text: string;
  created_at: string;
  tool_calls?: ToolCall[];
  approvals?: Approval[];
}

export interface ConversationSummary {
  id: string;
  title: string;
  created_at: string;
  updated_at: string;
}

export interface Conversation {
  id: string;
  title: string;
  messages: ChatMessage[];
}

export interface Member {
  user_id: string;
  email: string;
  name: string;
  role: Role;
  created_at: string;
}

export interface Invitation {
  id: string;
  org_id: string;
  email: string;
  role: Role;
  status: 'pending' | 'accepted' | 'declined' | 'revoked';
  invited_by: string;
  /** Set on invitations to you: the org you are invited to and who asked. */
  org_name?: string;
  invited_by_email?: string;
  created_at: string;
}

export interface AuditEntry {
  id: string;
  occurred_at: string;
  org_id: string;
  actor_user_id: string;
  action: string;
  target_type: string;
  target_id: string;
  outcome: string;
  ip: string;
  user_agent: string;
  request_id: string;
  metadata: unknown;
}

/** A file attached to a draft or a message being sent (multipart upload). */
export interface OutgoingAttachment {
  file: File;
}

/** The fields of a message to send (POST /gmail/messages): a draft's, plus how it is sent. */
export interface SendRequest extends DraftRequest {
  /** Reply to everyone on the thread: the server computes Cc from it. */
  reply_all?: boolean;
  /** Forward this message (its attachments go along). */
  forward_message_id?: string;
  /** Send later, at this instant (RFC 3339). */
  send_at?: string;
}

/**
 * A send Jarvis holds (POST /gmail/messages answers one, GET
 * /gmail/scheduled lists them): in its undo window (undo_until), scheduled
 * for send_at, or sent (message_id).
 */
export interface SendResult {
  account?: AccountRef | null;
  /** The send's id: DELETE /gmail/scheduled/{id} cancels it until it goes. */
  scheduled_id?: string;
  message_id?: string;
  thread_id: string;
  /** The draft that holds the message until it is sent (it stays in Drafts when cancelled). */
  draft_id?: string;
  send_at?: string;
  /** Until when the send can be undone; absent for a scheduled send. */
  undo_until?: string | null;
  /** scheduled, sending, sent, cancelled or failed. */
  status?: string;
  error_code?: string;
  subject?: string;
  to?: string[];
  created_at?: string;
}

/** A send in the Scheduled list. */
export type ScheduledSend = SendResult & { scheduled_id: string };

/** Which occurrences of a recurring event a change applies to. */
export type EventScope = 'instance' | 'following' | 'series';

/** An event to create or the fields of one to change (POST/PATCH /calendar/events). */
export interface EventRequest {
  summary?: string;
  description?: string;
  location?: string;
  start?: string;
  end?: string;
  time_zone?: string;
  recurrence?: string[];
  attendees?: string[];
  send_updates?: 'all' | 'externalOnly' | 'none';
  /** How far a change reaches in a series (updates only). */
  scope?: EventScope;
}

/** A proposed meeting time (POST /calendar/suggest). */
export interface Slot {
  start: string;
  end: string;
  /** The times in the working hours' zone, RFC 3339 with its offset. */
  start_local?: string;
  end_local?: string;
}

export type ActionStatus = 'pending' | 'approved' | 'rejected' | 'expired' | 'executed' | 'failed' | string;

/** Something an agent asked to do, waiting for (or past) the owner's decision. */
export interface Action {
  id: string;
  kind: string;
  status: ActionStatus;
  summary: string;
  requester: { type: string; id?: string; name?: string };
  account?: AccountRef | null;
  /** Exactly what runs when approved. */
  payload: Record<string, unknown>;
  policy?: { verdict?: string; flags?: string[] | null } | null;
  created_at: string;
  expires_at?: string | null;
  decided_at?: string | null;
  decided_by?: string | null;
  result?: Record<string, unknown> | null;
  error_code?: string | null;
}

/** The owner's rules for what agents may do (PUT /settings/policy). */
export interface Policy {
  /** Action kinds an agent's request runs without approval. */
  auto_approve: string[];
  /** Agents may not send. */
  drafts_only: boolean;
  /** When not empty, the only recipient domains agents may address without approval. */
  allowed_recipient_domains: string[];
  /** Agent sends a day without approval; 0: no cap. */
  max_agent_sends_per_day: number;
  /** When the owner takes meetings; null: Monday to Friday, 09:00–17:00. */
  working_hours: WorkingHours | null;
}

export interface WorkingHours {
  /** IANA zone; "" for the calendar's. */
  time_zone: string;
  days: string[];
  start: string;
  end: string;
}

/** GET /settings/policy: the user's own policy and what applies with their organisations' floors. */
export interface PolicyView {
  own: Policy;
  effective: Policy;
}
