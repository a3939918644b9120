// Formatting helpers: sizes, people, dates in the browser's time zone.

import type { Participant, Person } from './types';

export function formatSize(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '';
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB'];
  let v = bytes / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}

export function personLabel(p: Person | null | undefined): string {
  if (!p) return '';
  return p.name ? p.name : p.email;
}

/**
 * participantsLabel names a thread's senders as Gmail's inbox does: one
 * sender by full name, several by first name ("Mary, me"), the user as
 * "me", and more than three as the first, "..", and the last two.
 */
export function participantsLabel(ps: Participant[] | undefined, fallback?: Person): string {
  const list = (ps || []).filter((p) => p.name || p.email);
  if (list.length === 0) return personLabel(fallback);
  const short = (p: Participant) => {
    if (p.me) return 'me';
    if (list.length === 1) return p.name || p.email;
    if (p.name) return p.name.split(/\s+/)[0];
    return p.email.split('@')[0];
  };
  const names = list.map(short);
  if (names.length <= 3) return names.join(', ');
  return `${names[0]} .. ${names.slice(-2).join(', ')}`;
}

export function personFull(p: Person): string {
  return p.name && p.email ? `${p.name} <${p.email}>` : p.email || p.name;
}

export function initials(name: string, email: string): string {
  const source = (name || email || '?').trim();
  const parts = source.split(/[\s@.]+/).filter(Boolean);
  return ((parts[0]?.[0] || '?') + (parts[1]?.[0] || '')).toUpperCase();
}

/** shortDate shows the time for today, the day and month this year, the full date otherwise. */
export function shortDate(iso: string, now: Date = new Date()): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  if (d.toDateString() === now.toDateString()) {
    return d.toLocaleTimeString(undefined, { hour: 'numeric', minute: '2-digit' });
  }
  if (d.getFullYear() === now.getFullYear()) {
    return d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
  }
  return d.toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}

export function longDate(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { weekday: 'short', year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' });
}

/** splitAddresses turns "a@x, b@y; c@z" into a list, dropping blanks. */
export function splitAddresses(s: string): string[] {
  return s.split(/[,;\n]/).map((x) => x.trim()).filter(Boolean);
}

/** Gmail's system label ids, in words. */
const systemLabels: Record<string, string> = {
  INBOX: 'Inbox', UNREAD: 'Unread', STARRED: 'Starred', IMPORTANT: 'Important', SENT: 'Sent',
  DRAFT: 'Drafts', SPAM: 'Spam', TRASH: 'Trash', CATEGORY_PERSONAL: 'Personal',
  CATEGORY_SOCIAL: 'Social', CATEGORY_PROMOTIONS: 'Promotions', CATEGORY_UPDATES: 'Updates', CATEGORY_FORUMS: 'Forums',
};

export function labelName(id: string, names?: Map<string, string>): string {
  return systemLabels[id] || names?.get(id) || id;
}

/** Labels that every thread carries and that add nothing to a list row. */
export const quietLabels = new Set(['INBOX', 'UNREAD', 'IMPORTANT', 'CATEGORY_PERSONAL', 'CATEGORY_UPDATES']);
