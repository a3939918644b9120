// Grouping calendar events into an agenda of days in a given time zone.

import type { CalendarEvent } from './types';

export interface AgendaDay {
  /** YYYY-MM-DD in the agenda's time zone. */
  date: string;
  allDay: CalendarEvent[];
  timed: CalendarEvent[];
}

/** dateInZone returns the calendar date (YYYY-MM-DD) of an instant in a time zone. */
export function dateInZone(instant: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(instant);
  const get = (t: string) => parts.find((p) => p.type === t)?.value || '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/** addDays adds days to a YYYY-MM-DD date. */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number);
  const t = new Date(Date.UTC(y, m - 1, d + days));
  return t.toISOString().slice(0, 10);
}

/**
 * groupAgenda places each event on the days it covers within [today, today+days):
 * timed events on the local day they start (or today, when they started before
 * and are still running), all-day events on every date from start to the
 * exclusive end. Days are sorted, timed events by start, all-day by title.
 * Cancelled events are left out.
 */
export function groupAgenda(events: CalendarEvent[], now: Date, days: number, timeZone: string): AgendaDay[] {
  const first = dateInZone(now, timeZone);
  const last = addDays(first, days); // exclusive
  const byDay = new Map<string, AgendaDay>();
  const day = (date: string) => {
    let d = byDay.get(date);
    if (!d) {
      d = { date, allDay: [], timed: [] };
      byDay.set(date, d);
    }
    return d;
  };
  for (const ev of events) {
    if (ev.status === 'cancelled') continue;
    if (ev.all_day) {
      const start = ev.start.slice(0, 10);
      let end = (ev.end || '').slice(0, 10);
      if (!end || end <= start) end = addDays(start, 1);
      let cur = start < first ? first : start;
      let guard = 0;
      while (cur < end && cur < last && guard++ < 400) {
        day(cur).allDay.push(ev);
        cur = addDays(cur, 1);
      }
    } else {
      const start = new Date(ev.start);
      if (Number.isNaN(start.getTime())) continue;
      let date = dateInZone(start, timeZone);
      if (date < first) date = first;
      if (date >= last) continue;
      day(date).timed.push(ev);
    }
  }
  const out = [...byDay.values()].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  for (const d of out) {
    d.timed.sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
    d.allDay.sort((a, b) => (a.summary || '').localeCompare(b.summary || ''));
  }
  return out;
}

/** dayHeading says "Today", "Tomorrow" or the weekday and date. */
export function dayHeading(date: string, today: string): string {
  if (date === today) return 'Today';
  if (date === addDays(today, 1)) return 'Tomorrow';
  const [y, m, d] = date.split('-').map(Number);
  // Noon UTC keeps the weekday right in every zone.
  return new Date(Date.UTC(y, m - 1, d, 12)).toLocaleDateString(undefined, { weekday: 'long', month: 'long', day: 'numeric', timeZone: 'UTC' });
}

export function timeRange(ev: CalendarEvent, timeZone: string): string {
  const opts: Intl.DateTimeFormatOptions = { hour: 'numeric', minute: '2-digit', timeZone };
  const s = new Date(ev.start);
  const e = new Date(ev.end);
  if (Number.isNaN(s.getTime())) return '';
  const start = s.toLocaleTimeString(undefined, opts);
  if (Number.isNaN(e.getTime())) return start;
  const sameDay = dateInZone(s, timeZone) === dateInZone(e, timeZone);
  const end = sameDay
    ? e.toLocaleTimeString(undefined, opts)
    : e.toLocaleString(undefined, { ...opts, weekday: 'short' });
  return `${start} – ${end}`;
}

const responseWords: Record<string, string> = {
  accepted: 'Accepted',
  declined: 'Declined',
  tentative: 'Maybe',
  needsAction: 'No reply',
};

export function responseLabel(status: string): string {
  return responseWords[status] || 'No reply';
}
