export { default, default as scheduledReportsApp, TabRoute } from './app';
export { default as ScheduledReportsPage } from './ScheduledReportsPage';
export { default as messages } from './messages';
export * from './constants';
