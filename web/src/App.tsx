import { lazy, Suspense, useEffect, type ReactNode } from 'react';
import { App as AntApp, ConfigProvider, Spin } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import dayjs from 'dayjs';
import 'dayjs/locale/zh-cn';
// Zero-runtime styles: antd's prebuilt CSS instead of generating styles while rendering (faster first paint of the lists).
import 'antd/dist/antd.css';
import './app.css';
import { useTranslation } from 'react-i18next';
import { BrowserRouter, Navigate, Route, Routes, useLocation } from 'react-router';
import { getApiKey, getRole, type Role } from './auth';
import { ConsoleLayout } from './layout/ConsoleLayout';

// Routes are code-split: list pages never load echarts (only detail pages import the chart).
// The login form (antd Form) stays out of the list pages' first load.
const LoginPage = lazy(() => import('./pages/LoginPage').then((m) => ({ default: m.LoginPage })));
const GatewayList = lazy(() => import('./pages/gateways/GatewayList'));
const GatewayCreate = lazy(() => import('./pages/gateways/GatewayCreate'));
const GatewayDetail = lazy(() => import('./pages/gateways/GatewayDetail'));
const PeerList = lazy(() => import('./pages/peers/PeerList'));
const Overview = lazy(() => import('./pages/overview/Overview'));
// The tunnel list is the measured page (1,000 tunnels < 1 s): in the main bundle, no extra round trip.
import TunnelList from './pages/tunnels/TunnelList';
const TunnelCreate = lazy(() => import('./pages/tunnels/TunnelCreate'));
const TunnelDetail = lazy(() => import('./pages/tunnels/TunnelDetail'));
const AlertTemplates = lazy(() => import('./pages/alerts/AlertTemplates'));
const AlertHistory = lazy(() => import('./pages/alerts/AlertHistory'));
const Billing = lazy(() => import('./pages/billing/Billing'));
const Tenants = lazy(() => import('./pages/operator/Tenants'));
const Inventory = lazy(() => import('./pages/operator/Inventory'));
const Prices = lazy(() => import('./pages/operator/Prices'));
const Hosts = lazy(() => import('./pages/operator/Hosts'));

function RequireAuth({ role, children }: { role?: Role; children: ReactNode }) {
  const location = useLocation();
  if (!getApiKey()) return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  const mine = getRole();
  if (role && mine !== role) return <Navigate to={home(mine)} replace />;
  return <>{children}</>;
}

export function home(role: Role | null): string {
  return role === 'operator' ? '/operator/tenants' : '/overview';
}

const fallback = (
  <div style={{ padding: 48, textAlign: 'center' }}>
    <Spin />
  </div>
);

export function App() {
  // useTranslation renders again when the language changes.
  const { i18n } = useTranslation();
  const lang = i18n.language;
  useEffect(() => {
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
    document.title = i18n.t('app.title');
  }, [i18n, lang]);
  dayjs.locale(lang === 'zh' ? 'zh-cn' : 'en');

  const tenant = (el: ReactNode) => <RequireAuth role="tenant">{el}</RequireAuth>;
  const operator = (el: ReactNode) => <RequireAuth role="operator">{el}</RequireAuth>;
  return (
    <ConfigProvider locale={lang === 'zh' ? zhCN : enUS} theme={{ zeroRuntime: true }}>
      <AntApp>
        <BrowserRouter>
          <Routes>
            <Route
              path="/login"
              element={
                <Suspense fallback={fallback}>
                  <LoginPage />
                </Suspense>
              }
            />
            <Route
              element={
                <RequireAuth>
                  <ConsoleLayout />
                </RequireAuth>
              }
            >
              <Route
                path="/overview"
                element={tenant(
                  <Suspense fallback={fallback}>
                    <Overview />
                  </Suspense>,
                )}
              />
              <Route
                path="/vpn-gateways"
                element={tenant(
                  <Suspense fallback={fallback}>
                    <GatewayList />
                  </Suspense>,
                )}
              />
              <Route
                path="/vpn-gateways/new"
                element={tenant(
                  <Suspense fallback={fallback}>
                    <GatewayCreate />
                  </Suspense>,
                )}
              />
              <Route
                path="/vpn-gateways/:id"
                element={tenant(
                  <Suspense fallback={fallback}>
                    <GatewayDetail />
                  </Suspense>,
                )}
              />
              <Route
                path="/peer-gateways"
                element={tenant(
                  <Suspense fallback={fallback}>
                    <PeerList />
                  </Suspense>,
                )}
              />
              <Route
                path="/vpn-tunnels"
                element={tenant(
                  <Suspense fallback={fallback}>
                    <TunnelList />
                  </Suspense>,
                )}
              />
              <Route
                path="/vpn-tunnels/new"
                element={tenant(
                  <Suspense fallback={fallback}>
                    <TunnelCreate />
                  </Suspense>,
                )}
              />
              <Route
                path="/vpn-tunnels/:id"
                element={tenant(
                  <Suspense fallback={fallback}>
                    <TunnelDetail />
                  </Suspense>,
                )}
              />
              <Route
                path="/alert-templates"
                element={tenant(
                  <Suspense fallback={fallback}>
                    <AlertTemplates />
                  </Suspense>,
                )}
              />
              <Route
                path="/alerts"
                element={tenant(
                  <Suspense fallback={fallback}>
                    <AlertHistory />
                  </Suspense>,
                )}
              />
              <Route
                path="/billing"
                element={
                  <Suspense fallback={fallback}>
                    <Billing />
                  </Suspense>
                }
              />
              <Route
                path="/operator/tenants"
                element={operator(
                  <Suspense fallback={fallback}>
                    <Tenants />
                  </Suspense>,
                )}
              />
              <Route
                path="/operator/inventory"
                element={operator(
                  <Suspense fallback={fallback}>
                    <Inventory />
                  </Suspense>,
                )}
              />
              <Route
                path="/operator/prices"
                element={operator(
                  <Suspense fallback={fallback}>
                    <Prices />
                  </Suspense>,
                )}
              />
              <Route
                path="/operator/hosts"
                element={operator(
                  <Suspense fallback={fallback}>
                    <Hosts />
                  </Suspense>,
                )}
              />
              <Route path="*" element={<Navigate to={home(getRole())} replace />} />
            </Route>
          </Routes>
        </BrowserRouter>
      </AntApp>
    </ConfigProvider>
  );
}
