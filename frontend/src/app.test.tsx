import { screen } from '@testing-library/react';
import {
  addApp, getSiteConfig, setSiteConfig, SiteConfig, WidgetOperationTypes,
} from '@openedx/frontend-base';
import app, { ScheduledReportsPage, TabRoute } from './index';
import { DashboardTabContent } from '../stand-in/dashboard';
import {
  COURSE, fakeLms, page, renderAt, REPORTS, SETTINGS,
} from './testing';

describe('the App', () => {
  it('puts the tab page in the dashboard’s routes slot as an element with tabId and content', () => {
    expect(app.appId).toBe('org.periodic-instructor-reports.frontend.app.scheduledReportsTab');
    expect(app.slots).toHaveLength(1);
    const [operation] = app.slots as any[];
    expect(operation.slotId).toBe('org.openedx.frontend.slot.instructorDashboard.routes.v1');
    expect(operation.op).toBe(WidgetOperationTypes.APPEND);
    expect(operation.op).toBe('widgetAppend');
    expect(operation.id).toBeTruthy();
    expect('component' in operation).toBe(false);
    expect(operation.element.type).toBe(TabRoute);
    expect(operation.element.props.tabId).toBe('scheduled_reports');
    expect(operation.element.props.content.type).toBe(ScheduledReportsPage);
  });

  it('renders the page at instructor-dashboard/:courseId/scheduled_reports once added to the site', async () => {
    const calls = fakeLms((method, path) => ({
      'GET settings/': { status: 200, data: SETTINGS },
      'GET reports/': { status: 200, data: REPORTS },
      'GET schedules/': { status: 200, data: [] },
      'GET runs/?page=1': { status: 200, data: page([]) },
    } as Record<string, { status: number, data: unknown }>)[`${method} ${path}`]);
    const siteConfig: SiteConfig = { ...getSiteConfig(), apps: [] };
    addApp(siteConfig, app);
    setSiteConfig(siteConfig);
    renderAt(<DashboardTabContent />);
    expect(await screen.findByRole('heading', { name: 'Scheduled reports' })).toBeInTheDocument();
    expect(calls[0].path).toBe('settings/');
    expect(calls.every((call) => !call.path.startsWith('http'))).toBe(true); // the route's course, encoded
    expect(COURSE).toContain('+');
  });

  it('leaves other tabs to the dashboard', () => {
    fakeLms(() => undefined);
    const siteConfig: SiteConfig = { ...getSiteConfig(), apps: [] };
    addApp(siteConfig, app);
    setSiteConfig(siteConfig);
    renderAt(<DashboardTabContent />, `/instructor-dashboard/${COURSE}/data_downloads`);
    expect(screen.getByText('Page not found')).toBeInTheDocument();
  });
});
