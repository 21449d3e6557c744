import { App, WidgetOperationTypes } from '@openedx/frontend-base';
import {
  appId, routesSlotId, routeWidgetId, tabId,
} from './constants';
import ScheduledReportsPage from './ScheduledReportsPage';

/**
 * Carries the tab's props in the dashboard's routes slot. The dashboard does not render it: it
 * reads `widget.props.children.props` (frontend-app-instructor-dashboard src/slots/SlotUtils.tsx)
 * and renders `content` at `instructor-dashboard/:courseId/:tabId` (src/routes.tsx).
 */
export const TabRoute = (_props: { tabId: string, content: React.ReactNode }) => null;

const app: App = {
  appId,
  slots: [
    {
      slotId: routesSlotId,
      id: routeWidgetId,
      op: WidgetOperationTypes.APPEND,
      element: <TabRoute tabId={tabId} content={<ScheduledReportsPage />} />,
    },
  ],
};

export default app;
