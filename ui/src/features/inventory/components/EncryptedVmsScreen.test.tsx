import { screen, waitFor, within } from "@testing-library/react";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppError, BackupAccess, InventoryKeyVault } from "../../../bindings";
import { appError, grantPlan, inventorySnapshot, mockBackend, rbacGrantPlan, renderWithProviders, sendOn } from "../../../test/render";
import { EncryptedVmsScreen } from "./EncryptedVmsScreen";
import { KeyVaultsScreen } from "./KeyVaultsScreen";

// jsdom lays nothing out: give elements a window-sized box (and rows a row's height) so the
// virtualized table renders the rows a person would see.
const boxes: [keyof HTMLElement, number][] = [
  ["clientWidth", 1200],
  ["clientHeight", 800],
  ["offsetHeight", 61],
];
beforeAll(() => {
  for (const [name, value] of boxes) {
    Object.defineProperty(HTMLElement.prototype, name, { configurable: true, get: () => value });
  }
});
afterAll(() => {
  for (const [name] of boxes) {
    // Back to jsdom's own (inherited) zero-sized boxes.
    Reflect.deleteProperty(HTMLElement.prototype, name);
  }
});

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

  it("shows how far the running scan has got, from the progress it sends", async () => {
    mockBackend({
      cachedInventory: () => inventorySnapshot,
      scanInventory: (onProgress) => {
        setTimeout(() => {
          sendOn(onProgress, 0, { subscription: "Contoso Production", done: 1, total: 2, failed: false });
        }, 0);
        return new Promise(() => undefined);
      },
    });
    renderWithProviders(<EncryptedVmsScreen />);

    expect(await screen.findByText(/1 of 2/)).toBeInTheDocument();
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

  it("stops a running scan and keeps showing the inventory from before", async () => {
    let stop: (error: AppError) => void = () => undefined;
    const calls = mockBackend({
      cachedInventory: () => inventorySnapshot,
      scanInventory: () =>
        new Promise((_, reject) => {
          stop = reject;
        }) as never,
      cancelOperation: () => {
        stop(appError("cancelled", { id: "scanCancelled" }, "startAgain"));
        return true;
      },
    });
    const { user } = renderWithProviders(<EncryptedVmsScreen />);

    await user.click(await screen.findByRole("button", { name: "Stop" }));
    // Stop cancels the scan that is running, by the id it was started with.
    const started = calls.find((c) => c.cmd === "scan_inventory")?.args as { operationId: string };
    const cancelled = calls.find((c) => c.cmd === "cancel_operation")?.args as { operationId: string };
    expect(cancelled.operationId).toBe(started.operationId);
    expect(await screen.findByText("Scan stopped; showing what was known before.")).toBeInTheDocument();
    expect(screen.getByText("vm-sql-01")).toBeInTheDocument();
    expect(screen.queryByText("Cancelled")).not.toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Refresh" })).toBeInTheDocument();
  });
});

describe("Key Vaults", () => {
  it("shows what Backup lacks on each vault", async () => {
    mockBackend();
    renderWithProviders(<KeyVaultsScreen />);

    const table = await screen.findByRole("table", { name: "Key vaults behind encrypted VMs" });
    expect(within(table).getByText("kv-fin")).toBeInTheDocument();
    const fin = within(table).getByText("kv-fin").closest("tr") as HTMLElement;
    expect(within(fin).getByText("Missing")).toBeInTheDocument();
    expect(within(fin).getByText("keys: backup; secrets: list")).toBeInTheDocument();
    expect(within(table).getByText("Access policies")).toBeInTheDocument();
  });
});

describe("Key Vaults on Azure RBAC", () => {
  it("says which role grants Backup's access, or which roles fall short and what they lack", async () => {
    const first = inventorySnapshot.inventory.keyVaults[0];
    if (!first) throw new Error("the fixture has a key vault");
    const rbac = (name: string, backupAccess: BackupAccess): InventoryKeyVault => ({
      ...first,
      vault: { ...first.vault, name, id: first.vault.id.replace("kv-fin", name), rbacAuthorization: true },
      backupAccess,
    });
    mockBackend({
      scanInventory: () => ({
        ...inventorySnapshot,
        inventory: {
          ...inventorySnapshot.inventory,
          keyVaults: [
            rbac("kv-hr", {
              state: "roleMissing",
              roles: ["Key Vault Secrets User"],
              missing: ["Microsoft.KeyVault/vaults/keys/backup/action", "Microsoft.KeyVault/vaults/keys/read"],
            }),
            rbac("kv-ops", { state: "grantedByRole", role: "Backup key reader" }),
          ],
        },
      }),
    });
    renderWithProviders(<KeyVaultsScreen />);

    const table = await screen.findByRole("table", { name: "Key vaults behind encrypted VMs" });
    const hr = within(table).getByText("kv-hr").closest("tr");
    expect(hr).toHaveTextContent("No sufficient role");
    expect(hr).toHaveTextContent("Backup has Key Vault Secrets User, which lacks keys/backup/action, keys/read");
    const ops = within(table).getByText("kv-ops").closest("tr") as HTMLElement;
    expect(within(ops).getByText("Granted")).toBeInTheDocument();
    expect(within(ops).getByText("through Backup key reader")).toBeInTheDocument();
  });
});

describe("Grant", () => {
  it("shows the exact change and who else keeps access, then grants and rescans", async () => {
    const calls = mockBackend();
    const { user } = renderWithProviders(<KeyVaultsScreen />);

    await user.click(await screen.findByRole("button", { name: "Grant Backup access on kv-fin" }));
    const dialog = await screen.findByRole("dialog", { name: "Grant Backup access on kv-fin" });
    const diff = await within(dialog).findByLabelText("The change to Backup's entry");
    expect(diff).toHaveTextContent("keys: get, list, +backup");
    expect(diff).toHaveTextContent("secrets: get, +backup, +list");
    expect(within(dialog).getByText("2 other entries are left exactly as they are:")).toBeInTheDocument();
    const others = within(dialog).getByRole("list", { name: "Other principals with access" });
    const [group, deleted] = within(others).getAllByRole("listitem");
    expect(group).toHaveTextContent("Contoso IT Operations (group)");
    expect(group).toHaveTextContent("ops-group-object-id — keys: get; secrets: get, set");
    expect(deleted).toHaveTextContent("Not found in the directory (deleted, or in another tenant)");
    expect(deleted).toHaveTextContent("deleted-object-id");

    const scansBefore = calls.filter((c) => c.cmd === "scan_inventory").length;
    await user.click(within(dialog).getByRole("button", { name: "Grant" }));
    await waitFor(() => {
      expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    });
    expect(calls.find((c) => c.cmd === "grant_backup_access")?.args).toEqual({ vaultId: grantPlan.vaultId });
    await waitFor(() => {
      expect(calls.filter((c) => c.cmd === "scan_inventory").length).toBeGreaterThan(scansBefore);
    });
  });
});

describe("Grant on an Azure RBAC vault", () => {
  it("shows Backup's roles with the one added, and everyone else's roles kept", async () => {
    const first = inventorySnapshot.inventory.keyVaults[0];
    if (!first) throw new Error("the fixture has a key vault");
    const calls = mockBackend({
      planGrant: () => rbacGrantPlan,
      scanInventory: () => ({
        ...inventorySnapshot,
        inventory: {
          ...inventorySnapshot.inventory,
          keyVaults: [
            {
              ...first,
              vault: { ...first.vault, name: "kv-hr", id: rbacGrantPlan.vaultId, rbacAuthorization: true },
              backupAccess: {
                state: "roleMissing",
                roles: ["Key Vault Secrets User"],
                missing: ["Microsoft.KeyVault/vaults/keys/backup/action"],
              },
            },
          ],
        },
      }),
    });
    const { user } = renderWithProviders(<KeyVaultsScreen />);

    await user.click(await screen.findByRole("button", { name: "Grant Backup access on kv-hr" }));
    const dialog = await screen.findByRole("dialog", { name: "Grant Backup access on kv-hr" });
    const diff = await within(dialog).findByLabelText("The change to Backup's roles");
    expect(diff).toHaveTextContent("roles: Key Vault Secrets User, +Key Vault Administrator");
    expect(within(dialog).getByText("2 other role assignments are left exactly as they are:")).toBeInTheDocument();
    const holders = within(dialog).getByRole("list", { name: "Other principals with access" });
    const [operator, group] = within(holders).getAllByRole("listitem");
    expect(operator).toHaveTextContent("Safehold sandbox operator (application)");
    expect(operator).toHaveTextContent("operator-object-id — Key Vault Administrator, assigned at this vault");
    expect(group).toHaveTextContent("Contoso IT Operations (group)");
    expect(group).toHaveTextContent(
      "Key Vault Reader, inherited from /subscriptions/1111/resourceGroups/rg-security",
    );
    expect(calls.find((c) => c.cmd === "plan_grant")?.args).toEqual({ vaultId: rbacGrantPlan.vaultId });
  });
});

describe("Encrypted VMs at scale", () => {
  it("puts only the rows in view into the page, whatever the number of VMs", async () => {
    const template = inventorySnapshot.inventory.vms[0];
    if (!template) throw new Error("the fixture has no VM");
    const many = Array.from({ length: 10_000 }, (_, i) => ({
      ...template,
      id: `/subscriptions/1111/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm-${i}`,
      name: `vm-${String(i).padStart(5, "0")}`,
    }));
    mockBackend({
      scanInventory: () => ({ ...inventorySnapshot, inventory: { ...inventorySnapshot.inventory, vms: many } }),
    });
    renderWithProviders(<EncryptedVmsScreen />);

    const table = await screen.findByRole("table", { name: "Encrypted VMs" });
    expect(table).toHaveAttribute("aria-rowcount", "10001");
    const rendered = within(table).getAllByRole("row").length;
    expect(rendered).toBeGreaterThan(5);
    expect(rendered).toBeLessThan(60);
    expect(within(table).getByText("vm-00000")).toBeInTheDocument();
  });
});
