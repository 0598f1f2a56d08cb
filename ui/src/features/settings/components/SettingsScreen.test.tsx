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
});
