/** Test helpers: a fake LMS behind the stand-in's authenticated HTTP client, and the page at its route. */
import { render } from '@testing-library/react';
import { IntlProvider } from 'react-intl';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import { configureAuth, setSiteConfig } from '@openedx/frontend-base';
import type { ReactNode } from 'react';

export const LMS = 'http://lms.test';
export const COURSE = 'course-v1:edX+DemoX+Demo_Course';
export const BASE = `${LMS}/api/periodic-reports/v1/courses/${encodeURIComponent(COURSE)}/`;

type Reply = { status: number, data?: unknown } | (() => Promise<never>);
export type Handler = (method: string, path: string, body?: unknown) => Reply | undefined;

export interface Call { method: string, path: string, body?: unknown }

/** Answers each request with the first handler's reply; records the calls; 404 for anything else. */
export function fakeLms(handler: Handler) {
  const calls: Call[] = [];
  const respond = async (method: string, url: string, body?: unknown) => {
    const path = url.startsWith(BASE) ? url.slice(BASE.length) : url;
    calls.push({ method, path, body });
    const reply = handler(method, path, body) ?? { status: 404, data: { message: `No fake for ${method} ${path}`, code: 'not_found' } };
    if (typeof reply === 'function') {
      return reply();
    }
    if (reply.status >= 400) {
      const error: any = new Error(`Request failed with status code ${reply.status}`);
      error.response = { status: reply.status, data: reply.data };
      throw error;
    }
    return { status: reply.status, data: reply.data };
  };
  class FakeAuthService {
    getAuthenticatedHttpClient() {
      return {
        get: (url: string) => respond('GET', url),
        delete: (url: string) => respond('DELETE', url),
        post: (url: string, body?: unknown) => respond('POST', url, body),
        patch: (url: string, body?: unknown) => respond('PATCH', url, body),
      };
    }
  }
  setSiteConfig({
    siteId: 'test', siteName: 'Test', baseUrl: 'http://apps.test', lmsBaseUrl: LMS, loginUrl: `${LMS}/login`, logoutUrl: `${LMS}/logout`,
  });
  configureAuth(FakeAuthService, {});
  return calls;
}

export function renderAt(element: ReactNode, path = `/instructor-dashboard/${COURSE}/scheduled_reports`) {
  return render(
    <IntlProvider locale="en">
      <MemoryRouter initialEntries={[path]}>
        <Routes>
          <Route path="instructor-dashboard/:courseId/:tabId" element={element} />
        </Routes>
      </MemoryRouter>
    </IntlProvider>,
  );
}

export const SETTINGS = {
  time_zone: 'Europe/Paris', min_interval_seconds: 3600, max_schedules: 10, schedules: 1, max_recipients: 20, run_now_cooldown_seconds: 600,
};

export const REPORTS = [
  {
    id: 'grade_course', name: 'Grade report', arguments: 'None.', argument_names: [], personal_data: 'usernames, e-mails, grades', permission: 'instructor.research', file_extension: 'csv',
  },
  {
    id: 'student_profile', name: 'Enrolled learners’ profiles', arguments: '`features`: the profile columns, a list.', argument_names: ['features'], personal_data: 'profiles', permission: 'instructor.research', file_extension: 'csv',
  },
];

export function schedule(fields: Record<string, unknown> = {}) {
  return {
    id: 7,
    name: 'Weekly grades',
    report: 'grade_course',
    report_name: 'Grade report',
    owner: 'researcher',
    owned_by_you: true,
    may_manage: true,
    interval: null,
    crontab: {
      minute: '0', hour: '7', day_of_week: '1', day_of_month: '*', month_of_year: '*', timezone: 'Europe/Paris',
    },
    when: 'every Monday at 07:00 (Europe/Paris)',
    time_zone: 'Europe/Paris',
    next_run: '2099-01-05T06:00:00Z',
    last_run: {
      id: 3, status: 'done', status_display: 'done', trigger: 'beat', started_at: '2026-11-30T06:00:01Z', finished_at: '2026-11-30T06:01:00Z', counts: { generated: 1 },
    },
    arguments: {},
    recipients: ['team@example.com'],
    notify: 'always',
    max_in_flight: null,
    finish_within: null,
    enabled: true,
    ...fields,
  };
}

export function run(fields: Record<string, unknown> = {}) {
  return {
    id: 3,
    schedule: 7,
    schedule_name: 'Weekly grades',
    report_name: 'Grade report',
    read_only: false,
    trigger: 'beat',
    status: 'done',
    status_display: 'done',
    started_at: '2026-11-30T06:00:01Z',
    finished_at: '2026-11-30T06:01:00Z',
    finish_by: null,
    warning: '',
    progress: {
      waiting: 0, in_flight: 0, finished: 1, expected_end: null,
    },
    courses: [{
      course_id: COURSE, outcome: 'generated', outcome_display: 'generated', error: '', file_name: 'grades.csv', file_size: 120, download_url: `${LMS}/periodic-reports/download/11/`,
    }],
    ...fields,
  };
}

export const page = (results: unknown[], next: string | null = null) => ({
  count: results.length, num_pages: 1, current_page: 1, next, results,
});
