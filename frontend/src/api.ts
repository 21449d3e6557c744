/**
 * Calls to the course-team API with the platform's authenticated HTTP client (the JWT cookie,
 * refreshed through /login_refresh, and the CSRF token on writes).
 */
import { getAuthenticatedHttpClient, getSiteConfig } from '@openedx/frontend-base';
import { apiPath } from './constants';
import type {
  CourseSettings, Report, RunPage, Schedule, ScheduleInput,
} from './types';

/** An error of the API: its status, its message for people, and its messages by field. */
export class ApiError extends Error {
  status: number;

  fieldErrors: Record<string, string[]>;

  constructor(status: number, message: string, fieldErrors: Record<string, string[]> = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.fieldErrors = fieldErrors;
  }
}

function courseUrl(courseId: string, path: string) {
  return `${getSiteConfig().lmsBaseUrl}${apiPath}/courses/${encodeURIComponent(courseId)}/${path}`;
}

/** Turns an HTTP client's failure into an ApiError with the API's own message when it gave one. */
export function toApiError(error: any): ApiError {
  const response = error?.response ?? error?.customAttributes?.httpErrorResponseData;
  const status: number = error?.response?.status ?? error?.customAttributes?.httpErrorStatus ?? 0;
  const data = response?.data ?? (typeof response === 'string' ? safeJson(response) : undefined);
  if (data && typeof data === 'object' && typeof data.message === 'string') {
    return new ApiError(status, data.message, data.errors ?? {});
  }
  return new ApiError(status, '');
}

function safeJson(text: string) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function call<T>(request: () => Promise<{ data: T }>): Promise<T> {
  try {
    return (await request()).data;
  } catch (error) {
    throw toApiError(error);
  }
}

const client = () => getAuthenticatedHttpClient();

export const getCourseSettings = (courseId: string) => call<CourseSettings>(
  () => client().get(courseUrl(courseId, 'settings/')),
);
export const getReports = (courseId: string) => call<Report[]>(() => client().get(courseUrl(courseId, 'reports/')));
export const getSchedules = (courseId: string) => call<Schedule[]>(
  () => client().get(courseUrl(courseId, 'schedules/')),
);
export const getRuns = (courseId: string, page = 1) => call<RunPage>(
  () => client().get(courseUrl(courseId, `runs/?page=${page}`)),
);
export const createSchedule = (courseId: string, input: ScheduleInput) => call<Schedule>(
  () => client().post(courseUrl(courseId, 'schedules/'), input),
);
export const changeSchedule = (courseId: string, id: number, input: ScheduleInput) => call<Schedule>(
  () => client().patch(courseUrl(courseId, `schedules/${id}/`), input),
);
export const deleteSchedule = (courseId: string, id: number) => call<unknown>(
  () => client().delete(courseUrl(courseId, `schedules/${id}/`)),
);
export type Action = 'pause' | 'resume' | 'run-now';
export const act = (courseId: string, id: number, action: Action) => call<Schedule | { message: string }>(
  () => client().post(courseUrl(courseId, `schedules/${id}/${action}/`)),
);
