// Renders UI the way main.tsx does, but with a fresh QueryClient (no retries) and i18n instance per test.
import { QueryClient } from "@tanstack/react-query";
import type { Channel } from "@tauri-apps/api/core";
import { mockIPC } from "@tauri-apps/api/mocks";
import { render } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { ReactElement } from "react";
import { AppProviders } from "../app/providers";
import { createI18n, type Language } from "../i18n";
import type {
  AccountView,
  ActivityEntry,
  ActivityFilter,
  ExportFormat,
  AccountsView,
  AppError,
  AppInfo,
  DeviceCodeShown,
  DiscoveredCloud,
  InventoryProgress,
  InventorySnapshot,
  RecoveryVault,
  Session,
  SignInRequest,
  Subscription,
  GrantPlan,
} from "../bindings";

export function renderWithProviders(ui: ReactElement, options: { language?: Language } = {}) {
  const queryClient = new QueryClient({
    defaultOptions: { queries: { retry: false, gcTime: Infinity }, mutations: { retry: false } },
  });
  const i18n = createI18n(options.language ?? "en");
  const user = userEvent.setup();
  const result = render(
    <AppProviders queryClient={queryClient} i18n={i18n}>
      {ui}
    </AppProviders>,
  );
  return { ...result, user, queryClient, i18n };
}

/** What the fake backend answers; a function lets a test vary the answer per argument. */
export type FakeBackend = {
  connect?: () => Session | AppError;
  getAppInfo?: () => AppInfo | AppError;
  listSubscriptions?: () => Subscription[] | AppError;
  listVaults?: (subscriptionId: string) => RecoveryVault[] | AppError;
  listAccounts?: () => AccountsView | AppError;
  signIn?: (request: SignInRequest, onDeviceCode: Channel<DeviceCodeShown>) => AccountView | AppError | Promise<AccountView>;
  signOut?: (accountId: string) => AccountsView | AppError;
  discoverCloud?: (armEndpoint: string, caCertificatePath: string | null) => DiscoveredCloud | AppError;
  setAccountScope?: (accountId: string, tenants: string[], filter: string[] | null) => AccountView | AppError;
  refreshTenants?: (accountId: string) => AccountView | AppError;
  listAccountSubscriptions?: (accountId: string, tenantId: string) => Subscription[] | AppError;
  cachedInventory?: () => InventorySnapshot | null;
  scanInventory?: (onProgress: Channel<InventoryProgress>) => InventorySnapshot | AppError | Promise<InventorySnapshot>;
  cancelOperation?: (operationId: string) => boolean;
  planGrant?: (vaultId: string) => GrantPlan;
  listActivity?: (filter: ActivityFilter) => ActivityEntry[] | AppError;
  exportActivity?: (format: ExportFormat, filter: ActivityFilter) => string | AppError;
};

/** An AppError as the backend sends it: a problem and advice to word, and optionally what the
 * service said. */
export function appError(
  code: AppError["code"],
  problem: AppError["problem"],
  advice: AppError["advice"],
  extra: Partial<Pick<AppError, "service" | "requestId">> = {},
): AppError {
  return { code, problem, advice, service: null, requestId: null, ...extra };
}

function isError(value: unknown): value is AppError {
  return typeof value === "object" && value !== null && "code" in value && "problem" in value && "advice" in value;
}

function answer<T>(value: T | AppError): T {
  // The Rust commands reject with the AppError as a plain object; the mocked IPC does the same when
  // the handler throws it, which exercises the real bindings' error path.
  if (isError(value)) {
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- mimics the IPC rejection payload.
    throw value;
  }
  return value;
}

function answerLater<T>(value: T | AppError | Promise<T>): T | Promise<T> {
  return value instanceof Promise ? value : answer(value);
}

/**
 * Sends `message` on a channel the UI passed to a command, as the backend would: messages carry
 * their index, counted from 0 per channel.
 */
export function sendOn<T>(channel: Channel<T>, index: number, message: T) {
  const internals = (window as unknown as { __TAURI_INTERNALS__: { runCallback: (id: number, data: unknown) => void } })
    .__TAURI_INTERNALS__;
  internals.runCallback(channel.id, { index, message });
}

/** Answers IPC calls through @tauri-apps/api/mocks, so the real bindings and argument names are used. */
export function mockBackend(backend: FakeBackend = {}) {
  const calls: { cmd: string; args: unknown }[] = [];
  const full: Required<FakeBackend> = {
    connect: () => sandboxSession,
    getAppInfo: () => appInfo,
    listSubscriptions: () => subscriptions,
    listVaults: (id) => vaultsBySubscription[id] ?? [],
    listAccounts: () => ({ accounts: [operatorAccount], keyring: keyringAvailable }),
    signIn: () => operatorAccount,
    signOut: () => ({ accounts: [], keyring: keyringAvailable }),
    discoverCloud: (armEndpoint) => ({
      name: "AzureStackUser",
      armEndpoint,
      loginEndpoint: "https://login.microsoftonline.com",
      armAudience: "https://management.contoso.onmicrosoft.com/4c9f7f4e-5d8f-4f57-8a3a-9b2b1f0e6d21",
      graphEndpoint: "https://graph.microsoft.com",
    }),
    setAccountScope: () => operatorAccount,
    refreshTenants: () => operatorAccount,
    listAccountSubscriptions: () => subscriptions,
    cachedInventory: () => null,
    scanInventory: () => inventorySnapshot,
    cancelOperation: () => true,
    planGrant: () => grantPlan,
    listActivity: () => [],
    exportActivity: (format) => (format === "csv" ? "id\r\n" : "[]"),
    ...backend,
  };
  mockIPC((cmd, args) => {
    calls.push({ cmd, args });
    switch (cmd) {
      case "connect":
        return answer(full.connect());
      case "get_app_info":
        return answer(full.getAppInfo());
      case "list_subscriptions":
        return answer(full.listSubscriptions());
      case "list_vaults": {
        const { subscriptionId } = args as { subscriptionId: string };
        return answer(full.listVaults(subscriptionId));
      }
      case "list_accounts":
        return answer(full.listAccounts());
      case "sign_in": {
        const a = args as { request: SignInRequest; onDeviceCode: Channel<DeviceCodeShown> };
        return answerLater(full.signIn(a.request, a.onDeviceCode));
      }
      case "discover_cloud": {
        const a = args as { armEndpoint: string; caCertificatePath: string | null };
        return answer(full.discoverCloud(a.armEndpoint, a.caCertificatePath));
      }
      case "cancel_operation":
        return full.cancelOperation((args as { operationId: string }).operationId);
      case "plan_grant":
      case "grant_backup_access":
        return full.planGrant((args as { vaultId: string }).vaultId);
      case "list_activity":
        return answer(full.listActivity((args as { filter: ActivityFilter }).filter));
      case "export_activity": {
        const a = args as { format: ExportFormat; filter: ActivityFilter };
        return answer(full.exportActivity(a.format, a.filter));
      }
      case "cached_inventory":
        return full.cachedInventory();
      case "scan_inventory":
        return answerLater(full.scanInventory((args as { onProgress: Channel<InventoryProgress> }).onProgress));
      case "get_network_settings":
        return { proxyMode: "system", proxyUrl: null };
      case "set_network_settings":
        return (args as { settings: unknown }).settings;
      case "sign_out":
        return answer(full.signOut((args as { accountId: string }).accountId));
      case "set_account_scope": {
        const a = args as { accountId: string; selectedTenants: string[]; subscriptionFilter: string[] | null };
        return answer(full.setAccountScope(a.accountId, a.selectedTenants, a.subscriptionFilter));
      }
      case "refresh_tenants":
        return answer(full.refreshTenants((args as { accountId: string }).accountId));
      case "list_account_subscriptions": {
        const a = args as { accountId: string; tenantId: string };
        return answer(full.listAccountSubscriptions(a.accountId, a.tenantId));
      }
      default:
        throw new Error(`unexpected IPC command ${cmd}`);
    }
  });
  return calls;
}

export const sandboxSession: Session = {
  cloud: { kind: "sandbox", name: "Sandbox", armEndpoint: "https://127.0.0.1:8443", simulated: true },
  tenantId: "00000000-0000-0000-0000-00000000a11c",
  principal: "demo@contoso.example",
  accountCount: 1,
  simulated: true,
};

export const keyringAvailable = { available: true, error: null };

export const operatorAccount: AccountView = {
  id: "acc-1",
  method: "deviceCode",
  cloud: { kind: "sandbox", name: "Sandbox", armEndpoint: "https://127.0.0.1:8443", simulated: true },
  displayName: "Mei Tanaka",
  username: "mei.tanaka@contoso.com",
  homeTenantId: "00000000-0000-0000-0000-00000000a11c",
  tenants: [
    {
      tenant: { tenantId: "00000000-0000-0000-0000-00000000a11c", displayName: "Contoso", defaultDomain: "contoso.onmicrosoft.com" },
      home: true,
      selected: true,
    },
    {
      tenant: { tenantId: "00000000-0000-0000-0000-0000000fab01", displayName: "Fabrikam Trading", defaultDomain: "fabrikamtrading.onmicrosoft.com" },
      home: false,
      selected: false,
    },
  ],
  subscriptionFilter: null,
  remembered: true,
  status: "ready",
};

export const appInfo: AppInfo = {
  version: "0.1.0",
  logDirectory: "/home/demo/.local/share/dev.safehold/logs",
  dataDirectory: "/home/demo/.local/share/dev.safehold",
};

export const subscriptions: Subscription[] = [
  {
    subscriptionId: "11111111-1111-1111-1111-111111111111",
    displayName: "Production",
    state: "Enabled",
    tenantId: sandboxSession.tenantId,
  },
  {
    subscriptionId: "22222222-2222-2222-2222-222222222222",
    displayName: "Disaster recovery",
    state: "Enabled",
    tenantId: sandboxSession.tenantId,
  },
];

function vault(subscriptionId: string, name: string, resourceGroup: string, extra: Partial<RecoveryVault> = {}): RecoveryVault {
  return {
    id: `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.RecoveryServices/vaults/${name}`,
    name,
    location: "japaneast",
    resourceGroup,
    subscriptionId,
    sku: "Standard",
    provisioningState: "Succeeded",
    storageRedundancy: "GeoRedundant",
    ...extra,
  };
}

const [prod, dr] = subscriptions.map((s) => s.subscriptionId) as [string, string];

export const vaultsBySubscription: Record<string, RecoveryVault[]> = {
  [prod]: [vault(prod, "rsv-prod-east", "rg-backup"), vault(prod, "rsv-prod-west", "rg-backup", { location: "japanwest" })],
  [dr]: [vault(dr, "rsv-dr", "rg-dr", { storageRedundancy: null, provisioningState: null })],
};

const kvId = (name: string) => `/subscriptions/1111/resourceGroups/rg-security/providers/Microsoft.KeyVault/vaults/${name}`;

export const inventorySnapshot: InventorySnapshot = {
  scannedAt: "2026-11-29T06:00:00Z",
  inventory: {
    vms: [
      {
        id: "/subscriptions/1111/resourceGroups/rg-sql/providers/Microsoft.Compute/virtualMachines/vm-sql-01",
        name: "vm-sql-01",
        resourceGroup: "rg-sql",
        subscriptionId: "1111",
        location: "japaneast",
        classification: {
          ade: {
            pass: "singlePass",
            keys: "bekKek",
            secret: { url: "https://kv-ade.vault.azure.net/secrets/s/1", vaultId: kvId("kv-ade"), vaultName: "kv-ade" },
            key: { url: "https://kv-ade.vault.azure.net/keys/k/1", vaultId: null, vaultName: "kv-ade" },
          },
          os: "windows",
          disks: "managed",
          classic: false,
        },
        protection: {
          sourceResourceId: "vm-sql-01",
          vaultId: "/subscriptions/1111/resourceGroups/rg-backup/providers/Microsoft.RecoveryServices/vaults/rsv-prod",
          policyName: "DefaultPolicy",
          lastBackupTime: null,
          lastBackupStatus: "Completed",
          healthStatus: "Passed",
          protectionState: "Protected",
        },
        verdict: {
          status: "ready",
          reasons: [{ check: "supportMatrix", outcome: "pass", finding: { code: "ok" } }],
        },
        problems: [],
      },
      {
        id: "/subscriptions/1111/resourceGroups/rg-fin/providers/Microsoft.Compute/virtualMachines/vm-fin-db01",
        name: "vm-fin-db01",
        resourceGroup: "rg-fin",
        subscriptionId: "1111",
        location: "eastus2",
        classification: {
          ade: {
            pass: "singlePass",
            keys: "bekKek",
            secret: { url: "https://kv-fin.vault.azure.net/secrets/s/1", vaultId: kvId("kv-fin"), vaultName: "kv-fin" },
            key: null,
          },
          os: "windows",
          disks: "managed",
          classic: false,
        },
        protection: null,
        verdict: {
          status: "actionNeeded",
          reasons: [
            { check: "supportMatrix", outcome: "pass", finding: { code: "ok" } },
            {
              check: "keyVaultAccess",
              outcome: "fail",
              finding: { code: "missingPermissions", vault: "kv-fin", missing: { keys: ["backup"], secrets: ["list"] } },
            },
          ],
        },
        problems: [],
      },
      {
        id: "/subscriptions/1111/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachines/vm-plain",
        name: "vm-plain",
        resourceGroup: "rg-web",
        subscriptionId: "1111",
        location: "japaneast",
        classification: { ade: null, os: "linux", disks: "managed", classic: false },
        protection: null,
        verdict: null,
        problems: [],
      },
    ],
    keyVaults: [
      {
        vault: {
          id: kvId("kv-fin"),
          name: "kv-fin",
          resourceGroup: "rg-security",
          subscriptionId: "1111",
          location: "eastus2",
          tenantId: "t",
          rbacAuthorization: false,
          enabledForDiskEncryption: true,
          accessPolicies: [],
        },
        required: { keys: ["backup", "get", "list"], secrets: ["backup", "get", "list"] },
        backupAccess: { state: "missing", missing: { keys: ["backup"], secrets: ["list"] } },
        vms: ["vm-fin-db01"],
      },
    ],
    recoveryVaults: [],
    subscriptions: [],
    failedJobs: [
      {
        id: "/subscriptions/s1/resourceGroups/rg-backup/providers/Microsoft.RecoveryServices/vaults/rsv-prod/backupJobs/j1",
        vaultId: "/subscriptions/s1/resourceGroups/rg-backup/providers/Microsoft.RecoveryServices/vaults/rsv-prod",
        vmName: "vm-fin-db01",
        operation: "Backup",
        startTime: "2026-11-28T22:30:00Z",
        errorCode: "UserErrorKeyvaultPermissionsNotConfigured",
        errorMessage: "Backup lacks the permissions on the key vault.",
        recommendation: "Grant Backup access to the key vault.",
      },
    ],
  },
};

export const grantPlan = {
  vaultId: kvId("kv-fin"),
  vaultName: "kv-fin",
  principalId: "backup-object-id",
  change: {
    kind: "accessPolicy",
    before: { keys: ["get", "list"], secrets: ["get"] },
    add: { keys: ["backup"], secrets: ["backup", "list"] },
    after: { keys: ["backup", "get", "list"], secrets: ["backup", "get", "list"] },
  },
  others: [
    {
      tenantId: "t",
      objectId: "ops-group-object-id",
      applicationId: null,
      permissions: { keys: ["get"], secrets: ["get", "set"] },
    },
    {
      tenantId: "t",
      objectId: "deleted-object-id",
      applicationId: null,
      permissions: { keys: [], secrets: ["get"] },
    },
  ],
  holders: [],
  names: [{ id: "ops-group-object-id", displayName: "Contoso IT Operations", kind: "group" }],
} satisfies GrantPlan;

/** A grant on a key vault that uses Azure RBAC: Backup has a role that falls short. */
export const rbacGrantPlan = {
  vaultId: kvId("kv-hr"),
  vaultName: "kv-hr",
  principalId: "backup-object-id",
  change: {
    kind: "roleAssignment",
    roleDefinition: "00482a5a-887f-4fb3-b363-3b7fe8e74483",
    roleName: "Key Vault Administrator",
    before: ["Key Vault Secrets User"],
  },
  others: [],
  holders: [
    { principalId: "operator-object-id", role: "Key Vault Administrator", scope: kvId("kv-hr"), inherited: false },
    {
      principalId: "ops-group-object-id",
      role: "Key Vault Reader",
      scope: "/subscriptions/1111/resourceGroups/rg-security",
      inherited: true,
    },
  ],
  names: [
    { id: "operator-object-id", displayName: "Safehold sandbox operator", kind: "servicePrincipal" },
    { id: "ops-group-object-id", displayName: "Contoso IT Operations", kind: "group" },
  ],
} satisfies GrantPlan;
