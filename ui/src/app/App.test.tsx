import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { appError, mockBackend, renderWithProviders, sandboxSession } from "../test/render";
import { App } from "./App";

const NAV_LABELS = [
  "Overview",
  "Vaults",
  "Encrypted VMs",
  "Key Vaults",
  "Jobs",
  "Restore",
  "Troubleshoot",
  "Activity",
  "Settings",
];

describe("App shell", () => {
  it("shows the sandbox banner, the tenant and every navigation item", async () => {
    mockBackend();
    renderWithProviders(<App />);

    expect(await screen.findByText("Sandbox — simulated Azure; nothing leaves this machine")).toBeInTheDocument();
    const header = screen.getByRole("banner");
    expect(within(header).getByText("Safehold")).toBeInTheDocument();
    expect(within(header).getByText(new RegExp(sandboxSession.tenantId))).toBeInTheDocument();

    const nav = screen.getByRole("navigation", { name: "Main navigation" });
    for (const label of NAV_LABELS) {
      expect(within(nav).getByRole("button", { name: label })).toBeInTheDocument();
    }
    // Vaults is where the app opens.
    expect(within(nav).getByRole("button", { name: "Vaults" })).toHaveAttribute("aria-current", "page");
    expect(within(screen.getByRole("main")).getByRole("heading", { level: 1, name: "Recovery Services vaults" })).toBeInTheDocument();
  });

  it("does not show the sandbox banner for a real cloud", async () => {
    mockBackend({
      connect: () => ({
        ...sandboxSession,
        cloud: { kind: "azurePublic", name: "Azure", armEndpoint: "https://management.azure.com", simulated: false },
        simulated: false,
      }),
    });
    renderWithProviders(<App />);

    expect(await screen.findByRole("navigation", { name: "Main navigation" })).toBeInTheDocument();
    expect(screen.queryByText(/Sandbox — simulated Azure/)).not.toBeInTheDocument();
  });

  it("shows a spinner while signing in", () => {
    mockBackend({ connect: () => new Promise<never>(() => undefined) as never });
    renderWithProviders(<App />);
    expect(screen.getByRole("progressbar", { name: "Signing in…" })).toBeInTheDocument();
  });

  it("shows a sign-in error and signs in after Retry", async () => {
    let attempts = 0;
    mockBackend({
      connect: () => {
        attempts += 1;
        return attempts === 1
          ? appError("auth", { id: "signInRefused", cloud: "Sandbox" }, "signInAgain")
          : sandboxSession;
      },
    });
    const { user } = renderWithProviders(<App />);

    expect(await screen.findByText("Could not sign in")).toBeInTheDocument();
    expect(screen.getByText("Sandbox refused the sign-in.")).toBeInTheDocument();
    expect(screen.getByText("Sign in again; if it keeps failing, check the account's credentials.")).toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "Retry" }));
    expect(await screen.findByRole("navigation", { name: "Main navigation" })).toBeInTheDocument();
  });

  it("switches the interface to Japanese", async () => {
    mockBackend();
    const { user } = renderWithProviders(<App />);
    const nav = await screen.findByRole("navigation", { name: "Main navigation" });

    await user.click(within(screen.getByRole("banner")).getByRole("combobox", { name: "Language" }));
    await user.click(screen.getByRole("option", { name: "日本語" }));

    const jaNav = await screen.findByRole("navigation", { name: "メイン ナビゲーション" });
    expect(jaNav).toBe(nav);
    expect(within(nav).getByRole("button", { name: "コンテナー" })).toBeInTheDocument();
    expect(within(nav).getByRole("button", { name: "設定" })).toBeInTheDocument();
    expect(screen.getByText(/サンドボックス — シミュレートされた Azure です/)).toBeInTheDocument();
    expect(document.documentElement.lang).toBe("ja");
    expect(window.localStorage.getItem("safehold.language")).toBe("ja");
  });

  it("opens a placeholder that says what the screen will do", async () => {
    mockBackend();
    const { user } = renderWithProviders(<App />);
    await user.click(await screen.findByRole("button", { name: "Restore" }));

    const main = screen.getByRole("main");
    expect(within(main).getByRole("heading", { level: 1, name: "Restore" })).toBeInTheDocument();
    expect(within(main).getByText("Coming in a later release")).toBeInTheDocument();
    expect(within(main).getByText(/pick a recovery point/)).toBeInTheDocument();
  });

  it("shows counts on the Overview", async () => {
    mockBackend();
    const { user } = renderWithProviders(<App />);
    await user.click(await screen.findByRole("button", { name: "Overview" }));

    const subscriptionsCard = await screen.findByRole("group", { name: "Subscriptions" });
    expect(within(subscriptionsCard).getByText("2")).toBeInTheDocument();
    const vaultsCard = screen.getByRole("group", { name: "Recovery Services vaults" });
    expect(await within(vaultsCard).findByText("3")).toBeInTheDocument();
  });
});
