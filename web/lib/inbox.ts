// The inbox's list logic: rows keyed across accounts, pages joined without
// repeats, the marks that say which account a row is in, and label counts.

import type { AccountRef, Label, ThreadSummary } from './types';

/**
 * threadKey identifies a row: Gmail's thread ids are unique within one
 * mailbox only, so a listing of every account keys by account and id.
 */
export function threadKey(t: ThreadSummary): string {
  return `${t.account?.id ?? ''}:${t.id}`;
}

/** appendPage adds the threads of the next page that the list does not have yet. */
export function appendPage(cur: ThreadSummary[], more: ThreadSummary[]): ThreadSummary[] {
  const seen = new Set(cur.map(threadKey));
  return [...cur, ...more.filter((t) => !seen.has(threadKey(t)))];
}

/**
 * refreshFirstPage puts a freshly read first page in place of the list's
 * first pageSize rows, keeping the pages loaded after it minus the threads
 * that moved up. keptRest is how many rows it kept from those pages: none
 * means the new page's token is where the list continues; otherwise the
 * list's own token still is.
 */
export function refreshFirstPage(
  cur: ThreadSummary[],
  first: ThreadSummary[],
  pageSize: number,
): { threads: ThreadSummary[]; keptRest: number } {
  const keys = new Set(first.map(threadKey));
  const rest = cur.slice(pageSize).filter((t) => !keys.has(threadKey(t)));
  return { threads: [...first, ...rest], keptRest: rest.length };
}

/** AccountMark is how a row shows its account: a short name and one of four tones. */
export interface AccountMark {
  email: string;
  short: string;
  tone: number;
}

export const markTones = 4;

/**
 * accountMarks names each account for the rows of a merged listing: by the
 * part of its address before the @ when no other account shares it, by the
 * whole address otherwise; tones go round in the accounts' order (the
 * primary first), so that a user's accounts keep their colours.
 */
export function accountMarks(accounts: AccountRef[]): Map<string, AccountMark> {
  const local = (email: string) => email.split('@')[0] || email;
  const counts = new Map<string, number>();
  for (const a of accounts) counts.set(local(a.email).toLowerCase(), (counts.get(local(a.email).toLowerCase()) || 0) + 1);
  const out = new Map<string, AccountMark>();
  accounts.forEach((a, i) => {
    const l = local(a.email);
    out.set(a.id, { email: a.email, short: counts.get(l.toLowerCase())! > 1 ? a.email : l, tone: i % markTones });
  });
  return out;
}

/**
 * unifiedLabels is the label list of a listing of every account: only
 * Gmail's system labels, which mean the same in each account (a user
 * label's id names a different label, or none, in another account), each
 * with its unread threads summed over the accounts when every account's
 * list counts them (null stands for a list that could not be read).
 */
export function unifiedLabels(lists: (Label[] | null)[]): Label[] {
  const out = new Map<string, Label>();
  for (const list of lists) {
    for (const l of list || []) {
      if (l.type === 'system' && !out.has(l.id)) out.set(l.id, { id: l.id, name: l.name, type: 'system' });
    }
  }
  for (const l of out.values()) {
    let sum: number | undefined = 0;
    for (const list of lists) {
      const n = list?.find((x) => x.id === l.id)?.threads_unread;
      if (n === undefined) {
        sum = undefined;
        break;
      }
      sum += n;
    }
    if (sum !== undefined) l.threads_unread = sum;
  }
  return [...out.values()];
}

/** Labels whose unread count Gmail does not show: what is there is the user's own. */
const uncounted = new Set(['SENT', 'DRAFT', 'TRASH']);

/** unreadCount is the count shown beside a label: its unread threads, when known and any. */
export function unreadCount(l: Label | undefined): number | undefined {
  if (!l || uncounted.has(l.id) || l.threads_unread === undefined || l.threads_unread <= 0) return undefined;
  return l.threads_unread;
}

/** withCount names a label with its unread count, as a list of labels shows it: "Inbox (3)". */
export function withCount(name: string, unread: number | undefined): string {
  return unread ? `${name} (${unread})` : name;
}
