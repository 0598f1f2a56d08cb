import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { inventorySnapshot, mockBackend, renderWithProviders } from "../../../test/render";
import { EncryptedVmsScreen } from "./EncryptedVmsScreen";
import { KeyVaultsScreen } from "./KeyVaultsScreen";

describe("Encrypted VMs", () => {
  it("lists encrypted VMs with their verdict, and hides VMs without ADE until asked", async () => {
    mockBackend();
    const { user } = renderWithProviders(<EncryptedVmsScreen />);

    const table = await screen.findByRole("table", { name: "Encrypted VMs" });
    expect(within(table).getByText("vm-sql-01")).toBeInTheDocument();
    expect(within(table).getByText("Ready")).toBeInTheDocument();
    expect(within(table).getByText("Action needed")).toBeInTheDocument();
    expect(within(table).queryByText("vm-plain")).not.toBeInTheDocument();
    expect(within(table).getAllByText("BEK + KEK · single-pass")).toHaveLength(2);

    await user.click(screen.getByRole("switch", { name: "Show VMs without ADE too" }));
    expect(within(table).getByText("vm-plain")).toBeInTheDocument();
    await user.type(screen.getByRole("textbox", { name: /Search/ }), "fin");
    expect(within(table).queryByText("vm-sql-01")).not.toBeInTheDocument();
  });

  it("opens a VM's checks in fixing order with what to do", async () => {
    mockBackend();
    const { user } = renderWithProviders(<EncryptedVmsScreen />);

    await user.click(await screen.findByRole("button", { name: "vm-fin-db01" }));
    const dialog = await screen.findByRole("dialog", { name: "vm-fin-db01" });
    const checks = within(dialog).getByRole("list", { name: "Readiness checks" });
    const items = within(checks).getAllByRole("listitem");
    expect(items[0]).toHaveTextContent("Support matrix");
    expect(items[1]).toHaveTextContent("lacks keys: backup; secrets: list on kv-fin");
  });

  it("shows the kept inventory with its age while the scan runs", async () => {
    mockBackend({
      cachedInventory: () => inventorySnapshot,
      scanInventory: () => new Promise(() => undefined) as never,
    });
    renderWithProviders(<EncryptedVmsScreen />);

    expect(await screen.findByText(/Last known on/)).toBeInTheDocument();
    expect(screen.getByText("vm-sql-01")).toBeInTheDocument();
  });
});

describe("Key Vaults", () => {
  it("shows what Backup lacks on each vault", async () => {
    mockBackend();
    renderWithProviders(<KeyVaultsScreen />);

    const table = await screen.findByRole("table", { name: "Key vaults behind encrypted VMs" });
    expect(within(table).getByText("kv-fin")).toBeInTheDocument();
    expect(within(table).getByText("Missing keys: backup; secrets: list")).toBeInTheDocument();
    expect(within(table).getByText("Access policies")).toBeInTheDocument();
  });
});
