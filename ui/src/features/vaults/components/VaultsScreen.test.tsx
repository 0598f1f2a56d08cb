import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { appError, mockBackend, renderWithProviders, subscriptions } from "../../../test/render";
import { VaultsScreen } from "./VaultsScreen";

const [prod, dr] = subscriptions as [(typeof subscriptions)[0], (typeof subscriptions)[0]];

function rowsOf(table: HTMLElement) {
  return within(table)
    .getAllByRole("row")
    .slice(1)
    .map((row) => within(row).getAllByRole("cell").map((cell) => cell.textContent));
}

describe("VaultsScreen", () => {
  it("lists the vaults of each subscription", async () => {
    const calls = mockBackend();
    renderWithProviders(<VaultsScreen />);

    const prodTable = await screen.findByRole("table", { name: "Recovery Services vaults in Production" });
    const drTable = await screen.findByRole("table", { name: "Recovery Services vaults in Disaster recovery" });

    expect(within(prodTable).getAllByRole("columnheader").map((h) => h.textContent)).toEqual([
      "Name",
      "Resource group",
      "Location",
      "Redundancy",
      "State",
    ]);
    expect(rowsOf(prodTable)).toEqual([
      ["rsv-prod-east", "rg-backup", "japaneast", "GeoRedundant", "Succeeded"],
      ["rsv-prod-west", "rg-backup", "japanwest", "GeoRedundant", "Succeeded"],
    ]);
    expect(rowsOf(drTable)).toEqual([["rsv-dr", "rg-dr", "japaneast", "—", "—"]]);

    expect(screen.getByRole("heading", { level: 2, name: prod.displayName })).toBeInTheDocument();
    expect(screen.getByText(`Subscription ID: ${dr.subscriptionId}`)).toBeInTheDocument();
    expect(calls.filter((c) => c.cmd === "list_vaults").map((c) => c.args)).toEqual([
      { subscriptionId: prod.subscriptionId },
      { subscriptionId: dr.subscriptionId },
    ]);
  });

  it("says so when a subscription has no vaults", async () => {
    mockBackend({ listVaults: () => [] });
    renderWithProviders(<VaultsScreen />);
    for (const s of [prod, dr]) {
      const section = await screen.findByRole("region", { name: s.displayName });
      expect(await within(section).findByText("No Recovery Services vaults in this subscription.")).toBeInTheDocument();
    }
    expect(screen.queryByRole("table")).not.toBeInTheDocument();
  });

  it("shows a failing subscription's error without hiding the other one", async () => {
    mockBackend({
      listVaults: (id) =>
        id === dr.subscriptionId
          ? appError("forbidden", { id: "serviceRefused", service: "backup" }, "askForReader", {
              requestId: "8c1d7a52-0f4e-4d1b-9a67-3e2f1b0c9d11",
              service: {
                service: "backup",
                status: 403,
                code: "AuthorizationFailed",
                innerCodes: [],
                number: null,
                message: "The client does not have authorization to perform action 'Microsoft.RecoveryServices/vaults/read'.",
              },
            })
          : [],
    });
    const { user } = renderWithProviders(<VaultsScreen />);

    const drSection = await screen.findByRole("region", { name: dr.displayName });
    expect(await within(drSection).findByText("Access denied")).toBeInTheDocument();
    expect(within(drSection).getByText("Azure Backup refused the request.")).toBeInTheDocument();
    expect(within(drSection).getByText(/Ask an administrator for a role with read access/)).toBeInTheDocument();
    expect(within(drSection).getByLabelText("What Azure Backup said")).toHaveTextContent("AuthorizationFailed");
    expect(screen.queryByText(/8c1d7a52-0f4e-4d1b-9a67-3e2f1b0c9d11/)).not.toBeInTheDocument();

    const details = within(drSection).getByRole("button", { name: "Details" });
    expect(details).toHaveAttribute("aria-expanded", "false");
    await user.click(details);
    expect(within(drSection).getByText("Request ID: 8c1d7a52-0f4e-4d1b-9a67-3e2f1b0c9d11")).toBeInTheDocument();
    expect(within(drSection).getByRole("button", { name: "Hide details" })).toHaveAttribute("aria-expanded", "true");

    const prodSection = screen.getByRole("region", { name: prod.displayName });
    expect(within(prodSection).getByText("No Recovery Services vaults in this subscription.")).toBeInTheDocument();
  });

  it("retries a failed subscription on request", async () => {
    let failed = false;
    mockBackend({
      listVaults: (id) => {
        if (id === prod.subscriptionId && !failed) {
          failed = true;
          return appError("network", { id: "serviceUnreachable", service: "resourceManager" }, "checkNetwork");
        }
        return [];
      },
    });
    const { user } = renderWithProviders(<VaultsScreen />);
    const prodSection = await screen.findByRole("region", { name: prod.displayName });
    await within(prodSection).findByText("Azure Resource Manager could not be reached.");
    expect(within(prodSection).queryByRole("button", { name: "Details" })).not.toBeInTheDocument();

    await user.click(within(prodSection).getByRole("button", { name: "Retry" }));
    expect(await within(prodSection).findByText("No Recovery Services vaults in this subscription.")).toBeInTheDocument();
  });
});
