/**
 * How the instructor dashboard shows a tab's page, for the tests and the host page: the widgets of
 * its routes slot are read with `widget.props.children.props` (frontend-app-instructor-dashboard
 * src/slots/SlotUtils.tsx `extractWidgetProps`) and the one whose `tabId` is the route's renders
 * its `content`, else "page not found" (src/routes.tsx `TabContent`). Not the dashboard itself:
 * no tab bar, no course information, no role check.
 */
import type { ReactNode } from 'react';
import { useParams } from 'react-router-dom';
import { useWidgetsForId } from '@openedx/frontend-base';

export const ROUTES_SLOT = 'org.openedx.frontend.slot.instructorDashboard.routes.v1';

export const DashboardTabContent = () => {
  const { tabId } = useParams<{ tabId: string }>();
  const routes = useWidgetsForId(ROUTES_SLOT)
    .map((widget) => (widget as any)?.props?.children?.props as { tabId: string, content: ReactNode } | undefined)
    .filter((props): props is { tabId: string, content: ReactNode } => !!props);
  const found = routes.find((route) => route.tabId === tabId);
  return <>{found ? found.content : <p>Page not found</p>}</>;
};
