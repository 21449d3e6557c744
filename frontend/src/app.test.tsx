import { screen } from '@testing-library/react';
import type { ReactNode } from 'react';
import { useParams } from 'react-router-dom';
import {
  addApp, getSiteConfig, setSiteConfig, SiteConfig, useWidgetsForId, WidgetOperationTypes,
} from '@openedx/frontend-base';
import app, { ScheduledReportsPage, TabRoute } from './index';
import {
  COURSE, fakeLms, page, renderAt, REPORTS, SETTINGS,
} from './testing';

/**
 * The dashboard's reading of the routes slot, as frontend-app-instructor-dashboard does it
 * (src/slots/SlotUtils.tsx `extractWidgetProps`: `widget.props.children.props`; src/routes.tsx
 * `TabContent`: the widget whose `tabId` is the route's renders its `content`).
 */
const DashboardTabContent = () => {
  const { tabId } = useParams<{ tabId: string }>();
  const widgets = useWidgetsForId('org.openedx.frontend.slot.instructorDashboard.routes.v1');
  const routes = widgets.map((widget) => (widget as any).props.children.props as { tabId: string, content: ReactNode });
  return <>{routes.find((route) => route.tabId === tabId)?.content ?? 'PageNotFound'}</>;
};

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
    expect(screen.getByText('PageNotFound')).toBeInTheDocument();
  });
});
