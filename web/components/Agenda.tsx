'use client';

import { useRouter, useSearchParams } from 'next/navigation';
import { useEffect, useMemo, useState } from 'react';
import { useLive } from '@/lib/live';
import { api } from '@/lib/api';
import { dateInZone, dayHeading, groupAgenda, responseLabel, timeRange } from '@/lib/agenda';
import { ALL_ACCOUNTS } from '@/lib/account';
import type { CalendarEvent } from '@/lib/types';
import { AccountSwitcher } from './AccountSwitcher';
import { useAccount } from './Session';
import { EmptyState, ErrorNotice, Loading } from './States';

const ranges = [7, 14, 30];

function browserZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

function safeLink(url: string): string | undefined {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.toString() : undefined;
  } catch {
    return undefined;
  }
}

/** eventKey tells events apart across merged calendars, where one meeting may be in several. */
function eventKey(ev: CalendarEvent): string {
  return `${ev.account?.id || ''}:${ev.id}`;
}

function EventItem({ ev, zone, merged }: { ev: CalendarEvent; zone: string; merged: boolean }) {
  const meet = ev.meet_link ? safeLink(ev.meet_link) : undefined;
  const link = ev.html_link ? safeLink(ev.html_link) : undefined;
  return (
    <li className="event">
      <div className="event-time">{timeRange(ev, zone)}</div>
      <div>
        <div className="event-title">
          {ev.summary || '(no title)'}
          {ev.status === 'tentative' && <span className="chip"> tentative</span>}
          {merged && ev.account && <span className="chip account-chip"><span className="visually-hidden">Calendar of </span>{ev.account.email}</span>}
        </div>
        {ev.location && <div className="small"><span className="muted">Where: </span>{ev.location}</div>}
        {meet && (
          <div className="small"><a href={meet} target="_blank" rel="noopener noreferrer">Join Google Meet</a></div>
        )}
        {ev.organizer && (ev.organizer.name || ev.organizer.email) && (
          <div className="small muted">Organiser: {ev.organizer.name || ev.organizer.email}</div>
        )}
        {ev.attendees?.length > 0 && (
          <ul className="attendees" aria-label="Attendees">
            {ev.attendees.map((a) => (
              <li key={a.email}>
                {a.name || a.email}{' '}
                <span className={`rsvp-${a.response_status || 'needsAction'}`}>({responseLabel(a.response_status)})</span>
              </li>
            ))}
          </ul>
        )}
        {link && <div className="small"><a href={link} target="_blank" rel="noopener noreferrer">Open in Google Calendar<span className="visually-hidden">: {ev.summary}</span></a></div>}
      </div>
    </li>
  );
}

export function Agenda() {
  const params = useSearchParams();
  const router = useRouter();
  const daysParam = Number(params.get('days'));
  const days = ranges.includes(daysParam) ? daysParam : 7;
  const [events, setEvents] = useState<CalendarEvent[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);
  // A calendar change (on any replica) reloads the agenda.
  useLive((e) => {
    if (e.type === 'calendar.changed' || e.type === 'reload') setAttempt((a) => a + 1);
  });
  const [zone, setZone] = useState('UTC');
  const [now, setNow] = useState<Date | null>(null);
  const account = useAccount(true);
  const merged = account === ALL_ACCOUNTS;

  useEffect(() => {
    setZone(browserZone());
    setNow(new Date());
  }, []);

  useEffect(() => {
    const ctl = new AbortController();
    setEvents(null);
    setError(null);
    api.upcoming(days, account, ctl.signal).then((r) => setEvents(r.events || []), (err) => {
      if (!ctl.signal.aborted) setError(err);
    });
    return () => ctl.abort();
  }, [days, account, attempt]);

  const agenda = useMemo(() => (events && now ? groupAgenda(events, now, days, zone) : null), [events, now, days, zone]);
  const today = now ? dateInZone(now, zone) : '';

  return (
    <>
      <div className="toolbar">
        <h1 className="spacer">Calendar</h1>
        <AccountSwitcher allowAll />
        <div role="group" aria-label="Range" className="row">
          {ranges.map((d) => (
            <button
              key={d}
              type="button"
              className={d === days ? 'primary' : undefined}
              aria-pressed={d === days}
              onClick={() => router.push(`/agenda?days=${d}`)}
            >
              {d} days
            </button>
          ))}
        </div>
      </div>
      <p className="muted small">The next {days} days, in your time zone ({zone}).</p>
      {error ? (
        <ErrorNotice error={error} onRetry={() => setAttempt((a) => a + 1)} />
      ) : !agenda ? (
        <Loading label="Loading events" />
      ) : agenda.length === 0 ? (
        <EmptyState title="Nothing scheduled">
          <p>No events in the next {days} days. Pick a longer range above, or add events in Google Calendar.</p>
        </EmptyState>
      ) : (
        agenda.map((d) => (
          <section key={d.date} className="agenda-day" aria-labelledby={`day-${d.date}`}>
            <h2 id={`day-${d.date}`}>{dayHeading(d.date, today)}</h2>
            {d.allDay.length > 0 && (
              <ul className="allday" aria-label="All-day events">
                {d.allDay.map((ev) => (
                  <li key={eventKey(ev)}>
                    <span className="visually-hidden">All day: </span>{ev.summary || '(no title)'}{ev.location ? ` · ${ev.location}` : ''}
                    {merged && ev.account && <span className="chip account-chip"><span className="visually-hidden">Calendar of </span>{ev.account.email}</span>}
                  </li>
                ))}
              </ul>
            )}
            {d.timed.length > 0 && (
              <ul className="event-list">
                {d.timed.map((ev) => <EventItem key={eventKey(ev)} ev={ev} zone={zone} merged={merged} />)}
              </ul>
            )}
          </section>
        ))
      )}
    </>
  );
}
