import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { appInfo, mockBackend, renderWithProviders } from "../../../test/render";
import { SettingsScreen } from "./SettingsScreen";

describe("SettingsScreen", () => {
  it("shows where the logs are, the data folder and the version", async () => {
    mockBackend();
    renderWithProviders(<SettingsScreen />);

    const logs = await screen.findByRole("region", { name: "Logs" });
    expect(within(logs).getByText(appInfo.logDirectory)).toBeInTheDocument();
    const about = screen.getByRole("region", { name: "About Safehold" });
    expect(within(about).getByText(appInfo.dataDirectory)).toBeInTheDocument();
    expect(within(about).getByText(appInfo.version)).toBeInTheDocument();
  });

  it("changes the language", async () => {
    mockBackend();
    const { user, i18n } = renderWithProviders(<SettingsScreen />);

    const choice = screen.getByRole("radiogroup", { name: "Language" });
    expect(within(choice).getByRole("radio", { name: "English" })).toBeChecked();
    await user.click(within(choice).getByRole("radio", { name: "日本語" }));

    expect(await screen.findByRole("heading", { level: 1, name: "設定" })).toBeInTheDocument();
    expect(await screen.findByRole("region", { name: "ログ" })).toBeInTheDocument();
    expect(i18n.language).toBe("ja");
    expect(screen.getByRole("radio", { name: "日本語" })).toBeChecked();
  });

  it("saves an explicit proxy", async () => {
    const calls = mockBackend();
    const { user } = renderWithProviders(<SettingsScreen />);

    const network = await screen.findByRole("region", { name: "Network" });
    expect(await within(network).findByRole("radio", { name: "Use the system's proxy settings" })).toBeChecked();
    await user.click(within(network).getByRole("radio", { name: "Use this proxy" }));
    await user.type(within(network).getByRole("textbox", { name: /Proxy address/ }), "http://proxy.contoso.com:8080");
    await user.click(within(network).getByRole("button", { name: "Save" }));

    expect(await within(network).findByText("Saved.")).toBeInTheDocument();
    expect(calls.find((c) => c.cmd === "set_network_settings")?.args).toEqual({
      settings: { proxyMode: "explicit", proxyUrl: "http://proxy.contoso.com:8080" },
    });
  });
});
