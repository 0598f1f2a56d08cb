import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./app/App";
import { AppProviders } from "./app/providers";
import { createQueryClient } from "./app/queryClient";
import "./app/global.css";
import { createI18n } from "./i18n";

const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root element");

createRoot(root).render(
  <StrictMode>
    <AppProviders queryClient={createQueryClient()} i18n={createI18n()}>
      <App />
    </AppProviders>
  </StrictMode>,
);
