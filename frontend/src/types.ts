/** The course-team API's objects, as periodic_instructor_reports/rest_api/v1/serializers.py writes them. */
export interface Report {
  id: string,
  name: string,
  arguments: string,
  argument_names: string[],
  personal_data: string,
  permission: string,
  file_extension: string,
}

export interface Interval { every: number, period: string }

export interface Crontab {
  minute: string,
  hour: string,
  day_of_week: string,
  day_of_month: string,
  month_of_year: string,
  timezone: string,
}

export interface LastRun {
  id: number,
  status: string,
  status_display: string,
  trigger: string,
  started_at: string,
  finished_at: string | null,
  counts: Record<string, number> | null,
}

export interface Schedule {
  id: number,
  name: string,
  report: string | null,
  report_name: string,
  owner: string,
  owned_by_you: boolean,
  may_manage: boolean,
  interval: Interval | null,
  crontab: Crontab | null,
  when: string,
  time_zone: string,
  next_run: string | null,
  last_run: LastRun | null,
  arguments: Record<string, unknown>,
  recipients: string[],
  notify: string,
  /** At most this many of its reports generating at once (within the site's cap), or null. */
  max_in_flight: number | null,
  /** How long after its due time a run should be over, as "[DD ]HH:MM:SS", or null. */
  finish_within: string | null,
  enabled: boolean,
}

export interface RunCourse {
  course_id: string,
  outcome: string,
  outcome_display: string,
  error: string,
  file_name: string,
  file_size: number | null,
  download_url: string | null,
}

/** How far a run is, over all its courses (not only this course's). */
export interface Progress {
  waiting: number,
  in_flight: number,
  finished: number,
  expected_end: string | null,
}

export interface Run {
  id: number,
  schedule: number | null,
  schedule_name: string,
  report_name: string,
  read_only: boolean,
  trigger: string,
  status: string,
  status_display: string,
  started_at: string,
  finished_at: string | null,
  finish_by: string | null,
  warning: string,
  progress: Progress,
  courses: RunCourse[],
}

export interface RunPage {
  count: number,
  num_pages: number,
  current_page: number,
  next: string | null,
  results: Run[],
}

export interface CourseSettings {
  time_zone: string,
  min_interval_seconds: number,
  max_schedules: number | null,
  schedules: number,
  max_recipients: number,
  run_now_cooldown_seconds: number,
}

export interface ScheduleInput {
  name?: string,
  report?: string,
  interval?: Interval | null,
  crontab?: Crontab | null,
  arguments?: Record<string, unknown>,
  recipients?: string[],
  max_in_flight?: number | null,
  finish_within?: string | null,
}
