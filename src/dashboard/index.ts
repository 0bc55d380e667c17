/** The web dashboard's server side: serves the built React app (web/) at `/`. */
export { dashboardRoutes, DEFAULT_DASHBOARD_ROOT } from './dashboard-routes.js';
export type { DashboardDeps } from './dashboard-routes.js';
