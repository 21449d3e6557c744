/**
 * A stand-in for the small part of `@openedx/frontend-base` this package uses, for its tests and
 * the browser test's host page (`@openedx/frontend-base` is not on the npm registry this project
 * reaches). Each export keeps the real one's name, signature and behaviour, following
 * openedx/frontend-base at commit bf0779da (August 2026):
 *
 * - `WidgetOperationTypes`, `WidgetOperation` types: runtime/slots/widget/types.ts
 * - `SlotOperation`, `BaseSlotOperation`:             runtime/slots/types.ts
 * - `App`, `SiteConfig`:                              types.ts
 * - `getSiteConfig`, `setSiteConfig` and defaults:    runtime/config/index.ts
 * - `configureAuth`, `getAuthenticatedHttpClient`:    runtime/auth/interface.js
 * - `useWidgetsForId` (each widget wrapped in a provider whose child is the operation's
 *   `element`, so `widget.props.children.props` are the element's props): runtime/slots/widget/
 *   hooks.ts and utils.tsx (createIdentifiedWidget); APPEND and PREPEND only.
 * - `defineMessages`, `useIntl`, `FormattedMessage`, `IntlProvider`: runtime/i18n (re-exports of
 *   react-intl).
 * - `addApp(siteConfig, app)`: the site configuration helper of Tutor's MFE plugin (its site
 *   template), which appends the App to `siteConfig.apps`.
 *
 * It is not the real shell: no routing of apps, no header, no runtime configuration, no roles.
 */
import { createContext, ReactNode, useContext } from 'react';

export {
  defineMessages, FormattedMessage, IntlProvider, useIntl,
} from 'react-intl';

export enum WidgetOperationTypes {
  APPEND = 'widgetAppend',
  PREPEND = 'widgetPrepend',
  INSERT_AFTER = 'widgetInsertAfter',
  INSERT_BEFORE = 'widgetInsertBefore',
  REPLACE = 'widgetReplace',
  REMOVE = 'widgetRemove',
  OPTIONS = 'widgetOptions',
}

export interface SlotOperationCondition {
  active?: string[],
  inactive?: string[],
  authenticated?: boolean,
  callback?: () => boolean,
}

export interface BaseSlotOperation {
  slotId: string,
  condition?: SlotOperationCondition,
}

export type WidgetRendererProps = { element: ReactNode } | { component: React.ComponentType } | { url: string, title: string };

export type WidgetAppendOperation = BaseSlotOperation & WidgetRendererProps & {
  op: WidgetOperationTypes.APPEND,
  id: string,
  role?: string,
};

export type WidgetPrependOperation = BaseSlotOperation & WidgetRendererProps & {
  op: WidgetOperationTypes.PREPEND,
  id: string,
  role?: string,
};

export type SlotOperation = WidgetAppendOperation | WidgetPrependOperation;

export type AppConfig = Record<string, unknown>;

export interface App {
  appId: string,
  routes?: Record<string, unknown>[],
  providers?: React.FC<{ children?: ReactNode }>[],
  slots?: SlotOperation[],
  config?: AppConfig,
  provides?: Record<string, unknown>,
}

export interface SiteConfig {
  siteId: string,
  siteName: string,
  baseUrl: string,
  lmsBaseUrl: string,
  loginUrl: string,
  logoutUrl: string,
  apps?: App[],
  accessTokenCookieName?: string,
  csrfTokenApiPath?: string,
  refreshAccessTokenApiPath?: string,
  [key: string]: unknown,
}

const DEFAULTS: SiteConfig = {
  siteId: '',
  siteName: '',
  baseUrl: '',
  lmsBaseUrl: '',
  loginUrl: '',
  logoutUrl: '',
  apps: [],
  accessTokenCookieName: 'edx-jwt-cookie-header-payload',
  csrfTokenApiPath: '/csrf/api/v1/token',
  refreshAccessTokenApiPath: '/login_refresh',
};

let siteConfig: SiteConfig = { ...DEFAULTS };

export function getSiteConfig(): SiteConfig {
  return siteConfig;
}

/** Replaces the whole SiteConfig (not merged), as the real one does. */
export function setSiteConfig(newSiteConfig: SiteConfig) {
  siteConfig = newSiteConfig;
}

export function addApp(config: SiteConfig, app: App) {
  config.apps = [...(config.apps ?? []), app];
}

export interface HttpClient {
  get: (url: string, config?: Record<string, unknown>) => Promise<{ data: any, status: number }>,
  post: (url: string, data?: unknown, config?: Record<string, unknown>) => Promise<{ data: any, status: number }>,
  patch: (url: string, data?: unknown, config?: Record<string, unknown>) => Promise<{ data: any, status: number }>,
  delete: (url: string, config?: Record<string, unknown>) => Promise<{ data: any, status: number }>,
}

interface AuthService {
  getAuthenticatedHttpClient: (options?: Record<string, unknown>) => HttpClient,
}

let service: AuthService | null = null;

/** Makes `new AuthService(options)` the service, as frontend-base's `configureAuth` does. */
export function configureAuth(AuthServiceClass: new (options: any) => AuthService, options: unknown) {
  service = new AuthServiceClass(options);
  return service;
}

export function getAuthenticatedHttpClient(options = {}): HttpClient {
  if (service === null) {
    throw new Error('configureAuth has not been called: the authenticated HTTP client is not set up.');
  }
  return service.getAuthenticatedHttpClient(options);
}

const WidgetContext = createContext<{ slotId: string, widgetId: string } | null>(null);

export function useWidgetContext() {
  return useContext(WidgetContext);
}

function WidgetProvider({ slotId, widgetId, children }: { slotId: string, widgetId: string, children: ReactNode }) {
  return <WidgetContext.Provider value={{ slotId, widgetId }}>{children}</WidgetContext.Provider>;
}

function widgetOf(operation: SlotOperation): ReactNode {
  if ('element' in operation) {
    return operation.element;
  }
  if ('component' in operation) {
    return <operation.component />;
  }
  const { url, title } = operation as { url: string, title: string };
  return <iframe src={url} title={title} />;
}

/** The rendered widgets of a slot: each a provider whose only child is the operation's element. */
export function useWidgetsForId(slotId: string): ReactNode[] {
  const widgets: ReactNode[] = [];
  for (const app of getSiteConfig().apps ?? []) {
    for (const operation of app.slots ?? []) {
      if (operation.slotId !== slotId) {
        continue;
      }
      const node = (
        <WidgetProvider key={operation.id} slotId={slotId} widgetId={operation.id}>
          {widgetOf(operation)}
        </WidgetProvider>
      );
      if (operation.op === WidgetOperationTypes.APPEND) {
        widgets.push(node);
      } else if (operation.op === WidgetOperationTypes.PREPEND) {
        widgets.unshift(node);
      }
    }
  }
  return widgets;
}

