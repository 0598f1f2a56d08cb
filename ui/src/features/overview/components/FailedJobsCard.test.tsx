import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { inventorySnapshot, mockBackend, renderWithProviders } from "../../../test/render";
import { FailedJobsCard } from "./FailedJobsCard";

describe("Overview failed jobs", () => {
  it("lists each failed job with its VM, vault and the service's reason", async () => {
    mockBackend();
    renderWithProviders(<FailedJobsCard />);

    const card = await screen.findByRole("group", { name: "Failed jobs in the last 30 days (1)" });
    const row = within(card).getAllByRole("row")[1];
    expect(row).toHaveTextContent("vm-fin-db01");
    expect(row).toHaveTextContent("rsv-prod");
    expect(row).toHaveTextContent("Backup");
    expect(row).toHaveTextContent("UserErrorKeyvaultPermissionsNotConfigured");
    expect(row).toHaveTextContent("Fix: Grant Backup access to the key vault.");
  });

  it("says so when nothing failed", async () => {
    mockBackend({ scanInventory: () => ({ ...inventorySnapshot, inventory: { ...inventorySnapshot.inventory, failedJobs: [] } }) });
    renderWithProviders(<FailedJobsCard />);

    expect(await screen.findByText("No backup, restore or protection job failed in the last 30 days.")).toBeInTheDocument();
  });
});
