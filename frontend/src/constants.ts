/** The identifiers the instructor dashboard and the LMS know the tab by. */
export const appId = 'org.periodic-instructor-reports.frontend.app.scheduledReportsTab';
/** The LMS's filter step adds a tab of this id (periodic_instructor_reports/pipeline.py). */
export const tabId = 'scheduled_reports';
/** The dashboard's slot of tab pages (frontend-app-instructor-dashboard src/routes.tsx). */
export const routesSlotId = 'org.openedx.frontend.slot.instructorDashboard.routes.v1';
export const routeWidgetId = 'org.periodic-instructor-reports.frontend.widget.instructorDashboard.route.scheduled_reports';
/** The course-team API, under the LMS. */
export const apiPath = '/api/periodic-reports/v1';
