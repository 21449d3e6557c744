import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import ScheduledReportsPage from './ScheduledReportsPage';
import {
  fakeLms, Handler, page, renderAt, REPORTS, run, schedule, SETTINGS,
} from './testing';

/** The LMS of a course with the given schedules and runs; `extra` answers first. */
function lms(schedules: unknown[], runs: unknown[], extra: Handler = () => undefined) {
  return fakeLms((method, path, body) => extra(method, path, body) ?? ({
    'GET settings/': { status: 200, data: SETTINGS },
    'GET reports/': { status: 200, data: REPORTS },
    'GET schedules/': { status: 200, data: schedules },
    'GET runs/?page=1': { status: 200, data: page(runs) },
  } as Record<string, { status: number, data: unknown }>)[`${method} ${path}`]);
}

const showPage = async () => {
  renderAt(<ScheduledReportsPage />);
  await screen.findByRole('heading', { name: 'Scheduled reports' });
};

describe('ScheduledReportsPage', () => {
  it('says it is loading until the API answers', async () => {
    fakeLms(() => () => new Promise<never>(() => {}));
    renderAt(<ScheduledReportsPage />);
    expect(screen.getByText('Loading the scheduled reports…')).toBeInTheDocument();
    expect(screen.queryByRole('heading', { name: 'Scheduled reports' })).toBeNull();
  });

  it('says what to do when the course has no schedule and no run', async () => {
    lms([], []);
    await showPage();
    expect(screen.getByText(/This course has no scheduled reports yet\. Choose "New schedule"/)).toBeInTheDocument();
    expect(screen.getByText(/No report has run for this course yet\. A schedule runs at its next run time; "Run now"/)).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'New schedule' })).toBeEnabled();
    expect(screen.getByText(/Times are in Europe\/Paris/)).toBeInTheDocument();
  });

  it('lists the schedules with next and last run, and the runs with their download links', async () => {
    const calls = lms(
      [schedule(), schedule({
        id: 8, name: 'Staff grades', owner: 'staff', owned_by_you: false, may_manage: false, last_run: null, enabled: false, recipients: [],
      })],
      [run(), run({
        id: 4, schedule: null, schedule_name: 'All courses', read_only: true, status: 'error', status_display: 'dispatcher error',
        courses: [{
          course_id: 'course-v1:edX+DemoX+Demo_Course', outcome: 'failed', outcome_display: 'failed', error: 'The platform refused it.', file_name: '', file_size: null, download_url: null,
        }],
      })],
    );
    await showPage();
    expect(calls.map((call) => `${call.method} ${call.path}`)).toEqual(
      ['GET settings/', 'GET reports/', 'GET schedules/', 'GET runs/?page=1'],
    );
    const [own, other] = screen.getAllByRole('listitem').filter((item) => item.querySelector('h4'));
    expect(within(own).getByText('every Monday at 07:00 (Europe/Paris)')).toBeInTheDocument();
    expect(within(own).getByText(/Jan 5, 2099, 07:00 AM GMT\+1/)).toBeInTheDocument(); // 06:00 UTC in Paris
    expect(within(own).getByText('done')).toBeInTheDocument();
    expect(within(own).getByText('researcher (you)')).toBeInTheDocument();
    expect(within(own).getByText('team@example.com')).toBeInTheDocument();
    expect(within(own).getByRole('button', { name: 'Pause “Weekly grades”' })).toBeInTheDocument();
    expect(within(other).getByText('Paused', { selector: 'dd' })).toBeInTheDocument();
    expect(within(other).getByText('not yet')).toBeInTheDocument();
    expect(within(other).getByText('only the owner')).toBeInTheDocument();
    expect(within(other).getByText(/Only its owner and the course’s instructors may change it/)).toBeInTheDocument();
    expect(within(other).queryByRole('button')).toBeNull();
    const table = screen.getByRole('table');
    expect(within(table).getByRole('link', { name: 'Download grades.csv' })).toHaveAttribute('href', 'http://lms.test/periodic-reports/download/11/');
    expect(within(table).getByText('scheduled by an administrator')).toBeInTheDocument();
    expect(within(table).getByText(/The platform refused it\./)).toBeInTheDocument();
  });

  it('says when a schedule is overdue', async () => {
    lms([schedule({ next_run: '2020-01-06T06:00:00Z' })], []);
    await showPage();
    expect(screen.getByText(/overdue: ask an administrator whether celery beat runs/)).toBeInTheDocument();
  });

  it('creates a schedule in words, with the site’s time zone, the report’s options and recipients', async () => {
    const created = schedule({ id: 9, name: 'Profiles', report: 'student_profile' });
    let listed: unknown[] = [];
    const calls = lms([], [], (method, path) => {
      if (method === 'POST' && path === 'schedules/') {
        listed = [created];
        return { status: 201, data: created };
      }
      return method === 'GET' && path === 'schedules/' ? { status: 200, data: listed } : undefined;
    });
    await showPage();
    const user = userEvent.setup({ delay: null });
    await user.click(screen.getByRole('button', { name: 'New schedule' }));
    const dialog = await screen.findByRole('dialog', { name: 'New schedule' });
    await user.selectOptions(within(dialog).getByLabelText('Report'), 'student_profile');
    await user.type(within(dialog).getByLabelText('Name'), 'Profiles');
    expect(within(dialog).getByLabelText('Time zone')).toHaveValue('Europe/Paris');
    await user.selectOptions(within(dialog).getByLabelText('On'), 'Thursday');
    await user.clear(within(dialog).getByLabelText('At (time of day)'));
    await user.type(within(dialog).getByLabelText('At (time of day)'), '06:30');
    expect(within(dialog).getByTestId('when-preview')).toHaveTextContent('Runs every Thursday at 06:30 (Europe/Paris).');
    await user.click(within(dialog).getByLabelText('features'));
    await user.paste('["username", "email"]');
    await user.type(within(dialog).getByLabelText('E-mail the links to'), 'a@example.com, b@example.com');
    await user.type(within(dialog).getByLabelText('Reports at once, at most'), '3');
    expect(within(dialog).getByText(/4:00:00 for a 02:00 run to end by 06:00/)).toBeInTheDocument();
    await user.type(within(dialog).getByLabelText('Finish within'), ' 4:00:00 ');
    await user.click(within(dialog).getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(calls.find((call) => call.method === 'POST')?.body).toEqual({
      name: 'Profiles',
      report: 'student_profile',
      interval: null,
      crontab: {
        minute: '30', hour: '6', day_of_week: '4', day_of_month: '*', month_of_year: '*', timezone: 'Europe/Paris',
      },
      arguments: { features: ['username', 'email'] },
      recipients: ['a@example.com', 'b@example.com'],
      max_in_flight: 3,
      finish_within: '4:00:00',
    });
    expect(await screen.findByText('“Profiles” is saved.')).toBeInTheDocument();
    expect(screen.getByRole('heading', { name: /Profiles/ })).toBeInTheDocument();
  });

  it('shows the API’s refusal of a new schedule at its fields and keeps the form', async () => {
    lms([], [], (method, path) => (method === 'POST' && path === 'schedules/' ? {
      status: 400,
      data: {
        message: 'The request is not valid: recipients: Enter a valid e-mail address.',
        code: 'invalid',
        errors: { recipients: ['Enter a valid e-mail address.'], interval: ['Schedules run at least 1 hour apart.'] },
      },
    } : undefined));
    await showPage();
    const user = userEvent.setup({ delay: null });
    await user.click(screen.getByRole('button', { name: 'New schedule' }));
    const dialog = await screen.findByRole('dialog');
    await user.selectOptions(within(dialog).getByLabelText('Report'), 'grade_course');
    await user.selectOptions(within(dialog).getByLabelText('Repeats'), 'hours');
    await user.type(within(dialog).getByLabelText('E-mail the links to'), 'not-an-address');
    await user.click(within(dialog).getByRole('button', { name: 'Save' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent(
      'The schedule was not saved: The request is not valid: recipients: Enter a valid e-mail address.',
    );
    expect(within(dialog).getByText('Enter a valid e-mail address.')).toBeInTheDocument();
    expect(within(dialog).getByText('Schedules run at least 1 hour apart.')).toBeInTheDocument();
    expect(within(dialog).getByLabelText('E-mail the links to')).toHaveValue('not-an-address');
  });

  it('edits a schedule and keeps a crontab the form cannot say', async () => {
    const odd = schedule({
      crontab: {
        minute: '0', hour: '7', day_of_week: '1-5', day_of_month: '*', month_of_year: '*', timezone: 'UTC',
      },
      when: 'at 07:00 Monday through Friday (UTC)',
      max_in_flight: 2,
      finish_within: '1 04:30:00',
    });
    const calls = lms([odd], [], (method, path) => (method === 'PATCH' && path === 'schedules/7/'
      ? { status: 200, data: { ...odd, name: 'Weekdays' } } : undefined));
    await showPage();
    expect(screen.getByText('at most 2 of its reports at once; a run ends within 1 day 4 hours 30 minutes of its due time')).toBeInTheDocument();
    const user = userEvent.setup({ delay: null });
    await user.click(screen.getByRole('button', { name: 'Edit “Weekly grades”' }));
    const dialog = await screen.findByRole('dialog', { name: 'Edit “Weekly grades”' });
    expect(within(dialog).getByLabelText('Repeats')).toHaveValue('custom');
    expect(within(dialog).getByLabelText('Report')).toBeDisabled();
    expect(within(dialog).getByLabelText('Reports at once, at most')).toHaveValue(2);
    expect(within(dialog).getByLabelText('Finish within')).toHaveValue('1 04:30:00');
    await user.clear(within(dialog).getByLabelText('Name'));
    await user.type(within(dialog).getByLabelText('Name'), 'Weekdays');
    await user.clear(within(dialog).getByLabelText('Reports at once, at most'));
    await user.type(within(dialog).getByLabelText('Reports at once, at most'), '5');
    await user.clear(within(dialog).getByLabelText('Finish within'));
    await user.click(within(dialog).getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(calls.some((call) => call.method === 'PATCH')).toBe(true));
    expect(calls.find((call) => call.method === 'PATCH')?.body).toEqual({
      name: 'Weekdays', report: 'grade_course', arguments: {}, recipients: ['team@example.com'], max_in_flight: 5, finish_within: null,
    });
  });

  it('clears the cap when its field is emptied on a change', async () => {
    const capped = schedule({ max_in_flight: 2, finish_within: '04:00:00' });
    const calls = lms([capped], [], (method, path) => (method === 'PATCH' && path === 'schedules/7/'
      ? { status: 200, data: { ...capped, max_in_flight: null } } : undefined));
    await showPage();
    expect(screen.getByText('at most 2 of its reports at once; a run ends within 4 hours of its due time')).toBeInTheDocument();
    const user = userEvent.setup({ delay: null });
    await user.click(screen.getByRole('button', { name: 'Edit “Weekly grades”' }));
    const dialog = await screen.findByRole('dialog', { name: 'Edit “Weekly grades”' });
    await user.clear(within(dialog).getByLabelText('Reports at once, at most'));
    await user.click(within(dialog).getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(calls.some((call) => call.method === 'PATCH')).toBe(true));
    expect(calls.find((call) => call.method === 'PATCH')?.body).toMatchObject({ max_in_flight: null, finish_within: '04:00:00' });
  });

  it('shows the API’s refusal of a cap and a window beside their fields', async () => {
    lms([], [], (method, path) => (method === 'POST' && path === 'schedules/' ? {
      status: 400,
      data: {
        message: 'The request is not valid: max_in_flight: Enter at least 1, or leave it empty: the site\'s cap alone then applies.',
        code: 'invalid',
        errors: {
          max_in_flight: ['Enter at least 1, or leave it empty: the site\'s cap alone then applies.'],
          finish_within: ['Enter at most 2 hours, the time between two runs of this schedule: a run should be over before the next is due (3 hours was given).'],
        },
      },
    } : undefined));
    await showPage();
    const user = userEvent.setup({ delay: null });
    await user.click(screen.getByRole('button', { name: 'New schedule' }));
    const dialog = await screen.findByRole('dialog');
    await user.selectOptions(within(dialog).getByLabelText('Report'), 'grade_course');
    await user.selectOptions(within(dialog).getByLabelText('Repeats'), 'hours');
    await user.clear(within(dialog).getByLabelText('Every how many hours'));
    await user.type(within(dialog).getByLabelText('Every how many hours'), '2');
    await user.type(within(dialog).getByLabelText('Reports at once, at most'), '0');
    await user.type(within(dialog).getByLabelText('Finish within'), 'PT3H');
    await user.click(within(dialog).getByRole('button', { name: 'Save' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('The schedule was not saved: The request is not valid: max_in_flight: Enter at least 1');
    const cap = within(dialog).getByLabelText('Reports at once, at most');
    expect(cap).toHaveAttribute('aria-invalid', 'true');
    expect(cap).toHaveAccessibleDescription(/Enter at least 1, or leave it empty: the site's cap alone then applies\./);
    const window = within(dialog).getByLabelText('Finish within');
    expect(window).toHaveAttribute('aria-invalid', 'true');
    expect(window).toHaveAccessibleDescription(/Enter at most 2 hours, the time between two runs of this schedule/);
    expect(window).toHaveValue('PT3H'); // kept to correct
  });

  it('shows a run’s progress while it is in progress, its window and its warning', async () => {
    lms([], [
      run({
        id: 5,
        status: 'generating',
        status_display: 'generating reports',
        finished_at: null,
        finish_by: '2026-12-01T10:00:00Z',
        warning: 'expected to end about 11:20, after its window ends at 10:00',
        progress: {
          waiting: 2, in_flight: 2, finished: 1, expected_end: '2026-12-01T11:20:00Z',
        },
      }),
      run({
        id: 6, status: 'running', status_display: 'running', finished_at: null, progress: {
          waiting: 4, in_flight: 1, finished: 0, expected_end: null,
        },
      }),
      run({ id: 3, finish_by: '2026-11-30T10:00:00Z' }),
    ]);
    await showPage();
    const [generating, running, done] = within(screen.getByRole('table')).getAllByRole('row').slice(1);
    const progress = within(generating).getByRole('list', { name: 'Progress of all its courses' });
    expect(within(progress).getAllByRole('listitem').map((item) => item.textContent)).toEqual([
      'Waiting for a slot: 2', 'In flight: 2', 'Finished: 1', expect.stringMatching(/^Expected end: \w{3} \d+, 2026, \d\d:\d\d (AM|PM)$/),
    ]);
    expect(within(generating).getByText(/^Window ends: \w{3} \d+, 2026/)).toBeInTheDocument();
    const warning = within(generating).getByText('This run will not finish within its window: expected to end about 11:20, after its window ends at 10:00.');
    expect(warning).toHaveClass('alert-warning');
    expect(within(running).getByText('Waiting for a slot: 4')).toBeInTheDocument();
    expect(within(running).getByText('Expected end: foreseen once one of its reports has ended')).toBeInTheDocument();
    expect(within(running).queryByText(/Window ends/)).toBeNull();
    expect(within(running).queryByText(/will not finish/)).toBeNull();
    // Over: no progress, still its window.
    expect(within(done).queryByRole('list', { name: 'Progress of all its courses' })).toBeNull();
    expect(within(done).getByText(/^Window ends: \w{3} \d+, 2026/)).toBeInTheDocument();
  });

  it('shows the refusal page with the API’s message to someone without the permission', async () => {
    fakeLms(() => ({
      status: 403,
      data: { message: 'You may not schedule reports of this course: that needs the permission the instructor dashboard asks for its reports.', code: 'permission_denied' },
    }));
    renderAt(<ScheduledReportsPage />);
    expect(await screen.findByRole('heading', { name: 'You may not schedule reports of this course' })).toBeInTheDocument();
    expect(screen.getByRole('alert')).toHaveTextContent('that needs the permission the instructor dashboard asks for its reports');
    expect(screen.getByText(/Ask the course’s instructor or an administrator for it/)).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'New schedule' })).toBeNull();
  });

  it('says what to do when the server does not answer with a message', async () => {
    fakeLms(() => ({ status: 502, data: '<html>Bad gateway</html>' }));
    renderAt(<ScheduledReportsPage />);
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'The scheduled reports could not be loaded. The server did not answer (status 502). Check your connection and refresh',
    );
    expect(screen.getByRole('button', { name: 'Refresh' })).toBeInTheDocument();
  });

  it.each([
    ['Pause “Weekly grades”', 'schedules/7/pause/', '“Weekly grades” is paused.', {}],
    ['Resume “Weekly grades”', 'schedules/7/resume/', '“Weekly grades” runs again on its schedule.', { enabled: false }],
    ['Run now “Weekly grades”', 'schedules/7/run-now/', '“Weekly grades” is running now;', {}],
  ])('%s posts to %s and says so', async (button, path, said, fields) => {
    const calls = lms([schedule(fields)], [], (method, called) => (method === 'POST' && called === path
      ? { status: path.endsWith('run-now/') ? 202 : 200, data: { message: 'ok' } } : undefined));
    await showPage();
    await userEvent.setup({ delay: null }).click(screen.getByRole('button', { name: button }));
    expect(await screen.findByText(new RegExp(said.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))).toBeInTheDocument();
    expect(calls.filter((call) => call.method === 'POST').map((call) => call.path)).toEqual([path]);
    expect(calls.filter((call) => call.path === 'schedules/').length).toBe(2); // listed again
  });

  it('shows the API’s refusal of a run now (cooldown)', async () => {
    lms([schedule()], [], (method, path) => (method === 'POST' && path === 'schedules/7/run-now/' ? {
      status: 409, data: { message: 'Schedule 7 ran now 2 minutes ago: wait 8 more minutes.', code: 'conflict' },
    } : undefined));
    await showPage();
    await userEvent.setup({ delay: null }).click(screen.getByRole('button', { name: 'Run now “Weekly grades”' }));
    expect(await screen.findByText('That did not work: Schedule 7 ran now 2 minutes ago: wait 8 more minutes.')).toBeInTheDocument();
  });

  it('deletes only once the deletion is confirmed', async () => {
    let listed: unknown[] = [schedule()];
    const calls = lms([], [], (method, path) => {
      if (method === 'DELETE' && path === 'schedules/7/') {
        listed = [];
        return { status: 204 };
      }
      return method === 'GET' && path === 'schedules/' ? { status: 200, data: listed } : undefined;
    });
    await showPage();
    const user = userEvent.setup({ delay: null });
    await user.click(screen.getByRole('button', { name: 'Delete “Weekly grades”' }));
    let dialog = await screen.findByRole('dialog', { name: 'Delete “Weekly grades”?' });
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(calls.some((call) => call.method === 'DELETE')).toBe(false);
    await user.click(screen.getByRole('button', { name: 'Delete “Weekly grades”' }));
    dialog = await screen.findByRole('dialog', { name: 'Delete “Weekly grades”?' });
    await user.click(within(dialog).getByRole('button', { name: 'Delete' }));
    expect(await screen.findByText('“Weekly grades” is deleted.')).toBeInTheDocument();
    expect(calls.filter((call) => call.method === 'DELETE').map((call) => call.path)).toEqual(['schedules/7/']);
    expect(screen.getByText(/This course has no scheduled reports yet/)).toBeInTheDocument();
  });

  it('loads older runs page by page', async () => {
    const calls = lms([], [], (method, path) => {
      if (path === 'runs/?page=1') return { status: 200, data: { ...page([run()], 'next'), count: 2 } };
      if (path === 'runs/?page=2') return { status: 200, data: { ...page([run({ id: 2, courses: [] })]), count: 2 } };
      return undefined;
    });
    await showPage();
    expect(screen.getByText('Showing 1 of 2 runs.')).toBeInTheDocument();
    await userEvent.setup({ delay: null }).click(screen.getByRole('button', { name: 'Older runs' }));
    expect(await screen.findByText('Showing 2 of 2 runs.')).toBeInTheDocument();
    expect(calls.map((call) => call.path)).toContain('runs/?page=2');
    expect(screen.queryByRole('button', { name: 'Older runs' })).toBeNull();
  });

  it('offers no new schedule once the course has as many as the site allows', async () => {
    fakeLms((method, path) => ({
      'GET settings/': { status: 200, data: { ...SETTINGS, max_schedules: 1, schedules: 1 } },
      'GET reports/': { status: 200, data: REPORTS },
      'GET schedules/': { status: 200, data: [schedule()] },
      'GET runs/?page=1': { status: 200, data: page([]) },
    } as Record<string, { status: number, data: unknown }>)[`${method} ${path}`]);
    await showPage();
    expect(screen.getByText('1 of 1 schedules used.')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'New schedule' })).toBeDisabled();
  });
});
