import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { ActivityEntry, ActivityFilter } from "../../../bindings";
import { appError, mockBackend, renderWithProviders } from "../../../test/render";
import { ActivityScreen } from "./ActivityScreen";

const vault = "/subscriptions/1111/resourceGroups/rg-prod/providers/Microsoft.KeyVault/vaults/";

const entries: ActivityEntry[] = [
  {
    id: "e2",
    startedAt: "2026-12-02T10:05:00Z",
    finishedAt: "2026-12-02T10:05:02Z",
    kind: "grant",
    accountId: "acc-1",
    principalName: "mei.tanaka@contoso.com",
    targetId: `${vault}kv-finance`,
    targetName: "kv-finance",
    requestId: "req-403",
    correlationId: "corr-2",
    before: null,
    after: null,
    outcome: {
      state: "failed",
      error: appError("forbidden", { id: "serviceRefused", service: "keyVault" }, "askForRole"),
    },
  },
  {
    id: "e1",
    startedAt: "2026-12-02T10:00:00Z",
    finishedAt: "2026-12-02T10:00:01Z",
    kind: "grant",
    accountId: "acc-1",
    principalName: "mei.tanaka@contoso.com",
    targetId: `${vault}kv-sales`,
    targetName: "kv-sales",
    requestId: null,
    correlationId: "corr-1",
    before: '{"kind":"nothing"}',
    after: '{"kind":"nothing"}',
    outcome: { state: "succeeded" },
  },
];

/** The backend's filtering, as the Rust side does it. */
function filtered(filter: ActivityFilter) {
  return entries.filter(
    (e) =>
      (filter.outcome === null || e.outcome.state === filter.outcome) &&
      (filter.search === null || e.targetName.includes(filter.search)),
  );
}

describe("Activity", () => {
  it("lists changes newest first with their outcome, filters them, and copies an export", async () => {
    const calls = mockBackend({ listActivity: filtered, exportActivity: () => "id,startedAt\r\n" });
    const { user } = renderWithProviders(<ActivityScreen />);

    const table = await screen.findByRole("table", { name: "Activity" });
    const [header, newest, older, ...rest] = within(table).getAllByRole("row");
    expect(header).toBeDefined();
    expect(rest).toHaveLength(0);
    if (!newest || !older) throw new Error("two entries expected");
    expect(within(newest).getByText("kv-finance")).toBeInTheDocument();
    expect(within(newest).getByText("Failed")).toBeInTheDocument();
    expect(within(newest).getByText("req-403")).toBeInTheDocument();
    expect(within(older).getByText("Succeeded")).toBeInTheDocument();
    expect(within(older).getByText("mei.tanaka@contoso.com")).toBeInTheDocument();

    await user.click(screen.getByRole("combobox", { name: "Outcome" }));
    await user.click(screen.getByRole("option", { name: "Succeeded" }));
    await waitFor(() => {
      expect(within(table).queryByText("kv-finance")).not.toBeInTheDocument();
    });
    expect(calls.some((c) => c.cmd === "list_activity" && (c.args as { filter: ActivityFilter }).filter.outcome === "succeeded")).toBe(true);

    await user.click(screen.getByRole("button", { name: "Copy as CSV" }));
    expect(await screen.findByText("The activity shown was copied to the clipboard as CSV.")).toBeInTheDocument();
    // user-event stands in for the clipboard.
    expect(await navigator.clipboard.readText()).toBe("id,startedAt\r\n");
  });

  it("shows an empty log in Japanese", async () => {
    mockBackend();
    renderWithProviders(<ActivityScreen />, { language: "ja" });
    expect(await screen.findByText("記録された変更はまだありません。")).toBeInTheDocument();
  });

  it("says why the log could not be read", async () => {
    mockBackend({ listActivity: () => appError("internal", { id: "activityLogUnavailable" }, "checkDataFolder") });
    renderWithProviders(<ActivityScreen />);
    expect(await screen.findByText("The activity log could not be read or written, so no change was sent.")).toBeInTheDocument();
  });
});
