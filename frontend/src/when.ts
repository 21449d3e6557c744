/**
 * "When" as a course team says it (every N hours, every day, every week on a day, every month on
 * a day, at a time in a time zone), to and from the API's interval or crontab.
 */
import type { Crontab, Interval, Schedule } from './types';

export type Repeat = 'hours' | 'daily' | 'weekly' | 'monthly' | 'custom';

export interface When {
  repeat: Repeat,
  everyHours: number,
  time: string, // HH:MM
  weekday: number, // celery's: 0 is Sunday
  monthday: number,
  timeZone: string,
}

export function defaultWhen(timeZone: string): When {
  return {
    repeat: 'weekly', everyHours: 24, time: '07:00', weekday: 1, monthday: 1, timeZone,
  };
}

const NUMBER = /^\d+$/;

/** Reads a schedule's interval or crontab into the form; a crontab it cannot say is 'custom'. */
export function whenOf(schedule: Schedule, siteTimeZone: string): When {
  const base = defaultWhen(schedule.crontab?.timezone ?? siteTimeZone);
  if (schedule.interval) {
    const { every, period } = schedule.interval;
    const hours = { days: every * 24, hours: every }[period as 'days' | 'hours'];
    return hours ? { ...base, repeat: 'hours', everyHours: hours } : { ...base, repeat: 'custom' };
  }
  const cron = schedule.crontab;
  if (!cron || !NUMBER.test(cron.minute) || !NUMBER.test(cron.hour) || cron.month_of_year !== '*') {
    return { ...base, repeat: 'custom' };
  }
  const time = `${cron.hour.padStart(2, '0')}:${cron.minute.padStart(2, '0')}`;
  if (cron.day_of_week === '*' && cron.day_of_month === '*') {
    return { ...base, repeat: 'daily', time };
  }
  if (NUMBER.test(cron.day_of_week) && cron.day_of_month === '*') {
    return {
      ...base, repeat: 'weekly', time, weekday: Number(cron.day_of_week) % 7,
    };
  }
  if (cron.day_of_week === '*' && NUMBER.test(cron.day_of_month)) {
    return {
      ...base, repeat: 'monthly', time, monthday: Number(cron.day_of_month),
    };
  }
  return { ...base, repeat: 'custom' };
}

/** The API's fields for the form's "when"; nothing for 'custom' (the schedule keeps its own). */
export function scheduleFields(when: When): { interval?: Interval | null, crontab?: Crontab | null } {
  if (when.repeat === 'custom') {
    return {};
  }
  if (when.repeat === 'hours') {
    return { interval: { every: when.everyHours, period: 'hours' }, crontab: null };
  }
  const [hour, minute] = when.time.split(':').map((part) => String(Number(part)));
  return {
    interval: null,
    crontab: {
      minute,
      hour,
      day_of_week: when.repeat === 'weekly' ? String(when.weekday) : '*',
      day_of_month: when.repeat === 'monthly' ? String(when.monthday) : '*',
      month_of_year: '*',
      timezone: when.timeZone,
    },
  };
}

/** The time zones the browser knows, the given ones first. */
export function timeZones(...first: string[]): string[] {
  const known: string[] = typeof (Intl as any).supportedValuesOf === 'function'
    ? (Intl as any).supportedValuesOf('timeZone') : [];
  return Array.from(new Set([...first.filter(Boolean), 'UTC', ...known]));
}

export type DurationUnit = 'days' | 'hours' | 'minutes' | 'seconds';

/**
 * A schedule's window as the API writes it ("[DD ]HH:MM:SS[.ffffff]", Django's duration string),
 * in its non-zero units, largest first, for saying it in words; null if it does not read as one.
 */
export function windowParts(text: string): [DurationUnit, number][] | null {
  const match = /^(?:(\d+) )?(\d+):(\d{2}):(\d{2})(?:\.\d+)?$/.exec(text.trim());
  if (!match) {
    return null;
  }
  const [days, hours, minutes, seconds] = match.slice(1).map((part) => Number(part ?? 0));
  const parts: [DurationUnit, number][] = [['days', days], ['hours', hours], ['minutes', minutes], ['seconds', seconds]];
  return parts.filter(([, count]) => count > 0);
}
