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
