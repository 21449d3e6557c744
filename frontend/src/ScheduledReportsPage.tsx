import {
  useCallback, useEffect, useState,
} from 'react';
import { useParams } from 'react-router-dom';
import { useIntl } from '@openedx/frontend-base';
import {
  ActionRow, Alert, AlertModal, Badge, Button, Card, Container, Spinner, StatefulButton,
} from '@openedx/paragon';
import * as api from './api';
import { ApiError } from './api';
import messages from './messages';
import ScheduleForm from './ScheduleForm';
import type {
  CourseSettings, Report, Run, Schedule, ScheduleInput,
} from './types';
import { windowParts } from './when';

type Load = { state: 'loading' } | { state: 'ready' } | { state: 'failed', error: ApiError };
type Notice = { variant: 'success' | 'danger', text: string } | null;

const STATUS_VARIANT: Record<string, string> = {
  done: 'success', error: 'danger', refused: 'danger', running: 'info', generating: 'info', retrying: 'warning', skipped: 'light',
};
/** The statuses of a run that is not over (states.IN_PROGRESS): its progress is shown. */
const IN_PROGRESS = ['running', 'retrying', 'generating'];

/** The "Scheduled reports" tab's page: the course of the route's `courseId`. */
const ScheduledReportsPage = () => {
  const { courseId = '' } = useParams<{ courseId: string }>();
  const intl = useIntl();
  const [load, setLoad] = useState<Load>({ state: 'loading' });
  const [settings, setSettings] = useState<CourseSettings | null>(null);
  const [reports, setReports] = useState<Report[]>([]);
  const [schedules, setSchedules] = useState<Schedule[]>([]);
  const [runs, setRuns] = useState<Run[]>([]);
  const [runCount, setRunCount] = useState(0);
  const [runPage, setRunPage] = useState({ current: 1, more: false });
  const [editing, setEditing] = useState<Schedule | 'new' | null>(null);
  const [deleting, setDeleting] = useState<Schedule | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [notice, setNotice] = useState<Notice>(null);

  const errorText = useCallback((error: ApiError) => (
    error.message || intl.formatMessage(messages.networkError, { status: error.status })
  ), [intl]);

  const refresh = useCallback(async () => {
    try {
      const [newSettings, newReports, newSchedules, newRuns] = await Promise.all([
        api.getCourseSettings(courseId), api.getReports(courseId), api.getSchedules(courseId), api.getRuns(courseId),
      ]);
      setSettings(newSettings);
      setReports(newReports);
      setSchedules(newSchedules);
      setRuns(newRuns.results);
      setRunCount(newRuns.count);
      setRunPage({ current: 1, more: !!newRuns.next });
      setLoad({ state: 'ready' });
    } catch (error) {
      setLoad({ state: 'failed', error: error instanceof ApiError ? error : new ApiError(0, String(error)) });
    }
  }, [courseId]);

  useEffect(() => {
    setLoad({ state: 'loading' });
    refresh();
  }, [refresh]);

  const olderRuns = async () => {
    try {
      const page = await api.getRuns(courseId, runPage.current + 1);
      setRuns([...runs, ...page.results]);
      setRunPage({ current: runPage.current + 1, more: !!page.next });
    } catch (error) {
      setNotice({ variant: 'danger', text: intl.formatMessage(messages.actionError, { detail: errorText(error as ApiError) }) });
    }
  };

  const perform = async (schedule: Schedule, action: api.Action | 'delete') => {
    setBusy(`${action}-${schedule.id}`);
    setNotice(null);
    try {
      if (action === 'delete') {
        await api.deleteSchedule(courseId, schedule.id);
      } else {
        await api.act(courseId, schedule.id, action);
      }
      const done = {
        pause: messages.paused_done, resume: messages.resumed_done, 'run-now': messages.runNow_done, delete: messages.deleted_done,
      }[action];
      setNotice({ variant: 'success', text: intl.formatMessage(done, { name: schedule.name }) });
      await refresh();
    } catch (error) {
      setNotice({ variant: 'danger', text: intl.formatMessage(messages.actionError, { detail: errorText(error as ApiError) }) });
    } finally {
      setBusy(null);
      setDeleting(null);
    }
  };

  const save = async (input: ScheduleInput) => {
    const saved = editing === 'new' || editing === null
      ? await api.createSchedule(courseId, input)
      : await api.changeSchedule(courseId, editing.id, input);
    setEditing(null);
    setNotice({ variant: 'success', text: intl.formatMessage(messages.saved_done, { name: saved.name }) });
    await refresh();
  };

  const time = (value: string | null, timeZone?: string) => (value ? intl.formatDate(value, {
    year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', ...(timeZone ? { timeZone, timeZoneName: 'short' } : {}),
  }) : intl.formatMessage(messages.never));

  if (load.state === 'loading') {
    return (
      <Container size="xl" className="py-4">
        <Spinner animation="border" screenReaderText={intl.formatMessage(messages.loading)} />
      </Container>
    );
  }
  if (load.state === 'failed') {
    const { error } = load;
    const pages: Record<number, [typeof messages.pageTitle, string]> = {
      401: [messages.signInTitle, intl.formatMessage(messages.signInHelp)],
      403: [messages.refusedTitle, intl.formatMessage(messages.refusedHelp)],
      404: [messages.notFoundTitle, ''],
    };
    const [title, help] = pages[error.status] ?? [messages.pageTitle, ''];
    return (
      <Container size="xl" className="py-4">
        <h2>{intl.formatMessage(title)}</h2>
        <Alert variant={error.status === 403 ? 'warning' : 'danger'} role="alert">
          {error.status === 403 || error.status === 404 ? errorText(error) : intl.formatMessage(messages.loadError, { detail: errorText(error) })}
        </Alert>
        {help && <p>{help}</p>}
        {error.status !== 403 && error.status !== 401 && (
          <Button variant="outline-primary" onClick={() => { setLoad({ state: 'loading' }); refresh(); }}>
            {intl.formatMessage(messages.refresh)}
          </Button>
        )}
      </Container>
    );
  }

  const siteZone = settings?.time_zone ?? 'UTC';
  const full = settings?.max_schedules != null && schedules.length >= settings.max_schedules;
  /** A schedule's own cap and window in words, as the admin says them; '' when it has neither. */
  const pacing = (schedule: Schedule) => {
    const words: string[] = [];
    if (schedule.max_in_flight) {
      words.push(intl.formatMessage(messages.pacingCap, { cap: schedule.max_in_flight }));
    }
    if (schedule.finish_within) {
      const parts = windowParts(schedule.finish_within);
      const within = parts
        ? parts.map(([unit, count]) => intl.formatMessage(messages[unit], { count })).join(' ')
        : schedule.finish_within;
      words.push(intl.formatMessage(messages.pacingWindow, { window: within }));
    }
    return words.join('; ');
  };
  const label = (action: typeof messages.pause, schedule: Schedule) => intl.formatMessage(
    messages.actionLabel, { action: intl.formatMessage(action), name: schedule.name },
  );

  return (
    <Container size="xl" className="py-4 pir-scheduled-reports">
      <div className="d-flex flex-wrap justify-content-between align-items-start" style={{ gap: '.5rem' }}>
        <h2 className="mb-2">{intl.formatMessage(messages.pageTitle)}</h2>
        <ActionRow>
          <Button variant="outline-primary" onClick={() => refresh()}>{intl.formatMessage(messages.refresh)}</Button>
          <Button variant="primary" onClick={() => setEditing('new')} disabled={full || reports.length === 0}>
            {intl.formatMessage(messages.newSchedule)}
          </Button>
        </ActionRow>
      </div>
      <p>{intl.formatMessage(messages.intro, { timeZone: siteZone })}</p>
      <div aria-live="polite" role="status">
        {notice && notice.variant === 'success' && <Alert variant="success" dismissible onClose={() => setNotice(null)}>{notice.text}</Alert>}
      </div>
      {notice && notice.variant === 'danger' && (
        <Alert variant="danger" role="alert" dismissible onClose={() => setNotice(null)}>{notice.text}</Alert>
      )}

      <section aria-labelledby="pir-schedules-heading" className="mb-5">
        <h3 id="pir-schedules-heading">{intl.formatMessage(messages.schedulesHeading)}</h3>
        {settings?.max_schedules != null && (
          <p className="small text-gray-700">
            {intl.formatMessage(messages.schedulesLeft, { count: settings.schedules, max: settings.max_schedules })}
          </p>
        )}
        {schedules.length === 0 && <p className="border rounded p-3 bg-light-200">{intl.formatMessage(messages.emptySchedules)}</p>}
        <ul className="list-unstyled">
          {schedules.map((schedule) => (
            <li key={schedule.id} className="mb-3">
              <Card>
                <Card.Section>
                  <div className="d-flex flex-wrap justify-content-between align-items-start" style={{ gap: '.5rem' }}>
                    <h4 className="h5 mb-1">
                      {schedule.name}
                      {' '}
                      <Badge variant={schedule.enabled ? 'success' : 'warning'}>
                        {intl.formatMessage(schedule.enabled ? messages.active : messages.paused)}
                      </Badge>
                    </h4>
                    {schedule.may_manage && (
                      <ActionRow className="flex-wrap">
                        <Button size="sm" variant="outline-primary" aria-label={label(messages.edit, schedule)} onClick={() => setEditing(schedule)}>
                          {intl.formatMessage(messages.edit)}
                        </Button>
                        <StatefulButton
                          size="sm"
                          variant="outline-primary"
                          aria-label={label(schedule.enabled ? messages.pause : messages.resume, schedule)}
                          state={busy === `${schedule.enabled ? 'pause' : 'resume'}-${schedule.id}` ? 'pending' : 'default'}
                          labels={{ default: intl.formatMessage(schedule.enabled ? messages.pause : messages.resume), pending: intl.formatMessage(schedule.enabled ? messages.pause : messages.resume) }}
                          disabledStates={['pending']}
                          onClick={() => perform(schedule, schedule.enabled ? 'pause' : 'resume')}
                        />
                        <StatefulButton
                          size="sm"
                          variant="outline-primary"
                          aria-label={label(messages.runNow, schedule)}
                          state={busy === `run-now-${schedule.id}` ? 'pending' : 'default'}
                          labels={{ default: intl.formatMessage(messages.runNow), pending: intl.formatMessage(messages.runNow) }}
                          disabledStates={['pending']}
                          onClick={() => perform(schedule, 'run-now')}
                        />
                        <Button size="sm" variant="outline-danger" aria-label={label(messages.delete, schedule)} onClick={() => setDeleting(schedule)}>
                          {intl.formatMessage(messages.delete)}
                        </Button>
                      </ActionRow>
                    )}
                  </div>
                  <p className="mb-2">{schedule.report_name}</p>
                  <dl className="row mb-0 small">
                    <dt className="col-sm-3 col-lg-2">{intl.formatMessage(messages.when)}</dt>
                    <dd className="col-sm-9 col-lg-10">{schedule.when}</dd>
                    <dt className="col-sm-3 col-lg-2">{intl.formatMessage(messages.nextRun)}</dt>
                    <dd className="col-sm-9 col-lg-10">
                      {!schedule.enabled && intl.formatMessage(messages.paused)}
                      {schedule.enabled && schedule.next_run && new Date(schedule.next_run) < new Date()
                        ? intl.formatMessage(messages.overdue, { time: time(schedule.next_run, schedule.time_zone) })
                        : schedule.enabled && time(schedule.next_run, schedule.time_zone)}
                    </dd>
                    <dt className="col-sm-3 col-lg-2">{intl.formatMessage(messages.lastRun)}</dt>
                    <dd className="col-sm-9 col-lg-10">
                      {schedule.last_run ? (
                        <>
                          {time(schedule.last_run.started_at, schedule.time_zone)}
                          {' '}
                          <Badge variant={STATUS_VARIANT[schedule.last_run.status] ?? 'light'}>{schedule.last_run.status_display}</Badge>
                        </>
                      ) : intl.formatMessage(messages.never)}
                    </dd>
                    <dt className="col-sm-3 col-lg-2">{intl.formatMessage(messages.owner)}</dt>
                    <dd className="col-sm-9 col-lg-10">
                      {schedule.owned_by_you ? intl.formatMessage(messages.you, { owner: schedule.owner }) : schedule.owner}
                      {!schedule.may_manage && <span className="d-block text-gray-700">{intl.formatMessage(messages.readOnlyNote)}</span>}
                    </dd>
                    <dt className="col-sm-3 col-lg-2">{intl.formatMessage(messages.recipients)}</dt>
                    <dd className="col-sm-9 col-lg-10 text-break">
                      {schedule.recipients.length ? schedule.recipients.join(', ') : intl.formatMessage(messages.nobody)}
                    </dd>
                    {pacing(schedule) && (
                      <>
                        <dt className="col-sm-3 col-lg-2">{intl.formatMessage(messages.pacing)}</dt>
                        <dd className="col-sm-9 col-lg-10">{pacing(schedule)}</dd>
                      </>
                    )}
                  </dl>
                </Card.Section>
              </Card>
            </li>
          ))}
        </ul>
      </section>

      <section aria-labelledby="pir-runs-heading">
        <h3 id="pir-runs-heading">{intl.formatMessage(messages.runsHeading)}</h3>
        {runs.length === 0 ? <p className="border rounded p-3 bg-light-200">{intl.formatMessage(messages.emptyRuns)}</p> : (
          <>
            <p className="small text-gray-700">{intl.formatMessage(messages.runsCount, { shown: runs.length, count: runCount })}</p>
            {/* Scrolls sideways on its own on a narrow screen; focusable so the keyboard scrolls it too. */}
            <div className="table-responsive" style={{ overflowX: 'auto' }} tabIndex={0} role="region" aria-labelledby="pir-runs-heading">
              <table className="table table-sm">
                <thead>
                  <tr>
                    <th scope="col">{intl.formatMessage(messages.runReport)}</th>
                    <th scope="col">{intl.formatMessage(messages.runStarted)}</th>
                    <th scope="col">{intl.formatMessage(messages.runStatus)}</th>
                    <th scope="col">{intl.formatMessage(messages.runFiles)}</th>
                  </tr>
                </thead>
                <tbody>
                  {runs.map((run) => (
                    <tr key={run.id}>
                      <td>
                        {run.schedule_name || run.report_name}
                        {run.read_only && <span className="d-block small text-gray-700">{intl.formatMessage(messages.byAdministrator)}</span>}
                      </td>
                      <td>{time(run.started_at)}</td>
                      <td>
                        <Badge variant={STATUS_VARIANT[run.status] ?? 'light'}>{run.status_display}</Badge>
                        {IN_PROGRESS.includes(run.status) && run.progress && (
                          <ul className="list-unstyled small mb-0 mt-1" aria-label={intl.formatMessage(messages.runProgress)}>
                            <li>{intl.formatMessage(messages.runWaiting, { count: run.progress.waiting })}</li>
                            <li>{intl.formatMessage(messages.runInFlight, { count: run.progress.in_flight })}</li>
                            <li>{intl.formatMessage(messages.runFinished, { count: run.progress.finished })}</li>
                            <li>
                              {run.progress.expected_end
                                ? intl.formatMessage(messages.runExpectedEnd, { time: time(run.progress.expected_end) })
                                : intl.formatMessage(messages.runExpectedLater)}
                            </li>
                          </ul>
                        )}
                        {run.finish_by && (
                          <span className="d-block small mt-1">{intl.formatMessage(messages.runWindowEnds, { time: time(run.finish_by) })}</span>
                        )}
                        {run.warning && (
                          // Styled as a warning, without the alert role: it is read in its place, not announced.
                          <p className="alert alert-warning small p-2 mt-1 mb-0">
                            {intl.formatMessage(messages.runWarning, { warning: run.warning })}
                          </p>
                        )}
                      </td>
                      <td className="text-break">
                        <ul className="list-unstyled mb-0">
                          {run.courses.map((row) => (
                            <li key={`${row.course_id}-${row.file_name}`}>
                              {row.download_url ? (
                                <a href={row.download_url}>{intl.formatMessage(messages.download, { file: row.file_name })}</a>
                              ) : intl.formatMessage(messages.noFile, { course: row.course_id, outcome: row.error || row.outcome_display })}
                            </li>
                          ))}
                        </ul>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            {runPage.more && <Button variant="outline-primary" onClick={olderRuns}>{intl.formatMessage(messages.olderRuns)}</Button>}
          </>
        )}
      </section>

      {editing && settings && (
        <ScheduleForm
          reports={reports}
          settings={settings}
          schedule={editing === 'new' ? null : editing}
          onSave={save}
          onClose={() => setEditing(null)}
        />
      )}
      {deleting && (
        <AlertModal
          title={intl.formatMessage(messages.confirmDeleteTitle, { name: deleting.name })}
          isOpen
          onClose={() => setDeleting(null)}
          footerNode={(
            <ActionRow>
              <Button variant="tertiary" onClick={() => setDeleting(null)}>{intl.formatMessage(messages.cancel)}</Button>
              <StatefulButton
                variant="danger"
                state={busy === `delete-${deleting.id}` ? 'pending' : 'default'}
                labels={{ default: intl.formatMessage(messages.delete), pending: intl.formatMessage(messages.delete) }}
                disabledStates={['pending']}
                onClick={() => perform(deleting, 'delete')}
              />
            </ActionRow>
          )}
        >
          <p>{intl.formatMessage(messages.confirmDeleteBody)}</p>
        </AlertModal>
      )}
    </Container>
  );
};

export default ScheduledReportsPage;
