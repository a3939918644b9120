// Writing calendar events: wall-clock times in an explicit IANA zone,
// recurrence presets as RRULEs, and the form's values to and from an event.

import { addDays } from './agenda';
import type { CalendarEvent, EventRequest, EventScope } from './types';

/** browserZone is the browser's IANA time zone ("UTC" when it has none). */
export function browserZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

const commonZones = [
  'UTC', 'Europe/London', 'Europe/Paris', 'Europe/Berlin', 'America/New_York', 'America/Chicago', 'America/Denver',
  'America/Los_Angeles', 'America/Sao_Paulo', 'Asia/Tokyo', 'Asia/Singapore', 'Asia/Kolkata', 'Australia/Sydney',
];

/** timeZones lists the zones to choose from, the given ones first. */
export function timeZones(...first: string[]): string[] {
  let all: string[] = [];
  try {
    all = (Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.('timeZone') || [];
  } catch {
    all = [];
  }
  if (all.length === 0) all = commonZones;
  const seen = new Set<string>();
  const out: string[] = [];
  for (const z of [...first.filter(Boolean), ...all, 'UTC']) {
    if (!seen.has(z)) {
      seen.add(z);
      out.push(z);
    }
  }
  return out;
}

/** The recurrence presets the form offers. */
export type Repeat = 'none' | 'daily' | 'weekdays' | 'weekly' | 'monthly' | 'yearly';

const weekday = ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'];

/** rrule is the RRULE line of a preset for a series starting on date (YYYY-MM-DD), or null for none. */
export function rrule(repeat: Repeat, date: string): string | null {
  const [y, m, d] = date.split('-').map(Number);
  const day = weekday[new Date(Date.UTC(y, m - 1, d)).getUTCDay()];
  switch (repeat) {
    case 'daily': return 'RRULE:FREQ=DAILY';
    case 'weekdays': return 'RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR';
    case 'weekly': return `RRULE:FREQ=WEEKLY;BYDAY=${day}`;
    case 'monthly': return `RRULE:FREQ=MONTHLY;BYMONTHDAY=${d}`;
    case 'yearly': return 'RRULE:FREQ=YEARLY';
  }
  return null;
}

/** repeatOf reads a series' RRULE back as a preset ("none" for an unknown rule). */
export function repeatOf(recurrence?: string[]): Repeat {
  const r = (recurrence || []).find((l) => l.startsWith('RRULE:'));
  if (!r) return 'none';
  const parts = Object.fromEntries(r.slice(6).split(';').map((p) => p.split('=') as [string, string]));
  switch (parts.FREQ) {
    case 'DAILY': return 'daily';
    case 'WEEKLY': return parts.BYDAY === 'MO,TU,WE,TH,FR' ? 'weekdays' : 'weekly';
    case 'MONTHLY': return 'monthly';
    case 'YEARLY': return 'yearly';
  }
  return 'none';
}

/** wallTime is an instant's date (YYYY-MM-DD) and time (HH:MM) on the clocks of a zone. */
export function wallTime(instant: Date, timeZone: string): { date: string; time: string } {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).formatToParts(instant);
  const get = (t: string) => parts.find((p) => p.type === t)?.value || '';
  return { date: `${get('year')}-${get('month')}-${get('day')}`, time: `${get('hour')}:${get('minute')}` };
}

/** The event form's values. */
export interface EventForm {
  summary: string;
  date: string;
  start: string;
  end: string;
  endDate: string;
  allDay: boolean;
  timeZone: string;
  repeat: Repeat;
  attendees: string;
  location: string;
  description: string;
  notify: boolean;
}

/** newEventForm is an hour from the next full hour, today, in zone. */
export function newEventForm(now: Date, zone: string): EventForm {
  const next = new Date(Math.ceil(now.getTime() / 3600000) * 3600000);
  const s = wallTime(next, zone);
  const e = wallTime(new Date(next.getTime() + 3600000), zone);
  return {
    summary: '', date: s.date, start: s.time, end: e.time, endDate: e.date, allDay: false, timeZone: zone,
    repeat: 'none', attendees: '', location: '', description: '', notify: true,
  };
}

/** formOf fills the form from an event, its times on the clocks of its own zone. */
export function formOf(ev: CalendarEvent, fallbackZone: string): EventForm {
  const zone = ev.time_zone || fallbackZone;
  const base = {
    summary: ev.summary || '', timeZone: zone, repeat: repeatOf(ev.recurrence),
    attendees: (ev.attendees || []).map((a) => a.email).join(', '), location: ev.location || '', description: ev.description || '', notify: true,
  };
  if (ev.all_day) {
    const date = ev.start.slice(0, 10);
    const end = ev.end ? addDays(ev.end.slice(0, 10), -1) : date;
    return { ...base, allDay: true, date, endDate: end < date ? date : end, start: '09:00', end: '10:00' };
  }
  const s = wallTime(new Date(ev.start), zone);
  const e = wallTime(new Date(ev.end), zone);
  return { ...base, allDay: false, date: s.date, start: s.time, endDate: e.date, end: e.time };
}

/**
 * eventRequest turns the form into a new event's fields: times are
 * wall-clock ("2026-12-07T10:00") in the explicit time_zone, as Google
 * stores them, so that a series keeps its local time across daylight
 * saving; an all-day event gives dates, the end exclusive. An end at or
 * before the start on the same date moves to the next day.
 */
export function eventRequest(f: EventForm, splitAddresses: (s: string) => string[]): EventRequest {
  const r = rrule(f.repeat, f.date);
  return {
    summary: f.summary.trim(),
    location: f.location.trim(),
    description: f.description,
    time_zone: f.timeZone,
    attendees: splitAddresses(f.attendees),
    recurrence: r ? [r] : [],
    send_updates: f.notify ? 'all' : 'none',
    ...eventSpan(f),
  };
}

function eventSpan(f: EventForm): { start: string; end: string } {
  if (f.allDay) {
    const endDate = f.endDate && f.endDate >= f.date ? f.endDate : f.date;
    return { start: f.date, end: addDays(endDate, 1) };
  }
  let endDate = f.endDate && f.endDate >= f.date ? f.endDate : f.date;
  if (endDate === f.date && f.end <= f.start) endDate = addDays(f.date, 1);
  return { start: `${f.date}T${f.start}`, end: `${endDate}T${f.end}` };
}

/**
 * eventPatch is a change's fields: only what differs from the form as it
 * was opened (a PATCH changes only the fields given), the times always
 * with their zone. A new repeat rule is never sent for one instance.
 */
export function eventPatch(before: EventForm, f: EventForm, scope: EventScope | undefined, splitAddresses: (s: string) => string[]): EventRequest {
  const a = eventRequest(before, splitAddresses);
  const b = eventRequest(f, splitAddresses);
  const out: EventRequest = { send_updates: b.send_updates };
  if (scope) out.scope = scope;
  if (a.summary !== b.summary) out.summary = b.summary;
  if (a.location !== b.location) out.location = b.location;
  if (a.description !== b.description) out.description = b.description;
  if (a.start !== b.start || a.end !== b.end || a.time_zone !== b.time_zone || before.allDay !== f.allDay) {
    out.start = b.start;
    out.end = b.end;
    if (!f.allDay) out.time_zone = b.time_zone;
  }
  if ((a.attendees || []).join(',') !== (b.attendees || []).join(',')) out.attendees = b.attendees;
  if (before.repeat !== f.repeat && scope !== 'instance') out.recurrence = b.recurrence;
  return out;
}

/** isRecurring says whether an event is an occurrence of a series (its changes take a scope). */
export function isRecurring(ev: CalendarEvent): boolean {
  return Boolean(ev.recurring_event_id) || (ev.recurrence || []).length > 0;
}

/** myResponse is the user's own answer to an event they are invited to (not organising), or null. */
export function myResponse(ev: CalendarEvent, mine: Set<string>): string | null {
  if (ev.organizer && mine.has((ev.organizer.email || '').toLowerCase())) return null;
  const me = (ev.attendees || []).find((a) => a.self) || (ev.attendees || []).find((a) => mine.has((a.email || '').toLowerCase()));
  if (me && ev.organizer && me.email.toLowerCase() === (ev.organizer.email || '').toLowerCase()) return null;
  return me ? me.response_status || 'needsAction' : null;
}

/** amOrganiser says whether the user organises the event (may edit and cancel it for everyone). */
export function amOrganiser(ev: CalendarEvent, mine: Set<string>): boolean {
  if (!ev.organizer || !ev.organizer.email) return true;
  return mine.has(ev.organizer.email.toLowerCase());
}
