/**
 * A host page for the "Scheduled reports" tab, in place of the instructor dashboard: it adds the
 * package's App to a site configuration, signs in with the real `@edx/frontend-platform`
 * authentication service (AxiosJwtAuthService: the JWT cookie, /login_refresh, the CSRF token from
 * /csrf/api/v1/token, the same wire protocol as `@openedx/frontend-base`'s) against the LMS that
 * serves it, and renders the routes slot's page at `instructor-dashboard/:courseId/:tabId`.
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter, Route, Routes } from 'react-router-dom';
import { IntlProvider } from 'react-intl';
import AxiosJwtAuthService from '@edx/frontend-platform/auth/AxiosJwtAuthService';
import {
  addApp, configureAuth, setSiteConfig, SiteConfig,
} from '@openedx/frontend-base';
import '@openedx/paragon/dist/light.min.css';
import '@openedx/paragon/dist/core.min.css';
import scheduledReportsApp from '../src';
import { DashboardTabContent } from '../stand-in/dashboard';

const lms = window.location.origin;
const siteConfig: SiteConfig = {
  siteId: 'scheduled-reports-host',
  siteName: 'Demo LMS',
  baseUrl: lms,
  lmsBaseUrl: lms,
  loginUrl: `${lms}/login/`,
  logoutUrl: `${lms}/admin/logout/`,
  apps: [],
};
addApp(siteConfig, scheduledReportsApp);
setSiteConfig(siteConfig);

// frontend-platform's logging interface (logging/interface.js), to the console.
const loggingService = {
  logInfo: (message: unknown) => console.info(message),
  logError: (error: unknown) => console.error(error),
  setCustomAttribute: () => {},
};
const auth = configureAuth(AxiosJwtAuthService as any, {
  loggingService,
  config: {
    BASE_URL: lms,
    LMS_BASE_URL: lms,
    LOGIN_URL: siteConfig.loginUrl,
    LOGOUT_URL: siteConfig.logoutUrl,
    REFRESH_ACCESS_TOKEN_ENDPOINT: `${lms}/login_refresh`,
    ACCESS_TOKEN_COOKIE_NAME: 'edx-jwt-cookie-header-payload',
    CSRF_TOKEN_API_PATH: '/csrf/api/v1/token',
  },
}) as unknown as { ensureAuthenticatedUser: (url: string) => Promise<{ username: string }> };

async function start() {
  // Redirects to the LMS's login page (and back) when there is no session.
  const user = await auth.ensureAuthenticatedUser(window.location.href);
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <IntlProvider locale={navigator.language || 'en'} defaultLocale="en">
        <BrowserRouter>
          <header className="bg-dark text-white px-4 py-2 d-flex flex-wrap justify-content-between">
            <span>Instructor dashboard (host page)</span>
            <span data-testid="signed-in-user">{user.username}</span>
          </header>
          <main>
            <Routes>
              <Route path="instructor-dashboard/:courseId/:tabId" element={<DashboardTabContent />} />
            </Routes>
          </main>
        </BrowserRouter>
      </IntlProvider>
    </StrictMode>,
  );
}

start().catch((error) => {
  if (!error?.isRedirecting) {
    document.getElementById('root')!.textContent = `The page could not start: ${error}`;
  }
});
