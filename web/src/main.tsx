import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import './i18n';
import { adoptFirstPage } from './api/prefetch';
import { App } from './App';

adoptFirstPage();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
