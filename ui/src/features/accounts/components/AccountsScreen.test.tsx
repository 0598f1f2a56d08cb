import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { appError, inventorySnapshot, mockBackend, operatorAccount, renderWithProviders, sendOn } from "../../../test/render";
import { AccountsScreen } from "./AccountsScreen";

describe("Accounts", () => {
  it("shows the device code the sign-in sends, and cancels that sign-in when the dialog closes", async () => {
    const calls = mockBackend({
      signIn: (_, onDeviceCode) => {
        setTimeout(() => {
          sendOn(onDeviceCode, 0, {
            userCode: "KX7-PQ2",
            verificationUri: "https://127.0.0.1:8443/devicelogin",
            expiresInSecs: 900,
          });
        }, 0);
        return new Promise(() => undefined);
      },
    });
    const { user } = renderWithProviders(<AccountsScreen />);

    await user.click(await screen.findByRole("button", { name: "Add account" }));
    const dialog = await screen.findByRole("dialog");
    await user.click(within(dialog).getByRole("radio", { name: "Device code" }));
    await user.click(within(dialog).getByRole("button", { name: "Sign in" }));
    expect(await within(dialog).findByLabelText("Device code")).toHaveTextContent("KX7-PQ2");

    await user.click(within(dialog).getByRole("button", { name: "Cancel" }));
    const started = calls.find((c) => c.cmd === "sign_in")?.args as { operationId: string };
    await waitFor(() => {
      const cancelled = calls.find((c) => c.cmd === "cancel_operation")?.args as { operationId: string } | undefined;
      expect(cancelled?.operationId).toBe(started.operationId);
    });
  });

  it("lists an account with its home and guest tenants and how its sign-in is kept", async () => {
    mockBackend();
    renderWithProviders(<AccountsScreen />);

    const card = await screen.findByRole("region", { name: "Mei Tanaka" });
    expect(within(card).getByText("mei.tanaka@contoso.com")).toBeInTheDocument();
    expect(within(card).getByText("Device code")).toBeInTheDocument();
    expect(within(card).getByText("Remembered in the keyring")).toBeInTheDocument();
    expect(within(card).getByRole("checkbox", { name: "Contoso" })).toBeChecked();
    expect(within(card).getByRole("checkbox", { name: "Fabrikam Trading" })).not.toBeChecked();
    expect(within(card).getByText("Guest")).toBeInTheDocument();
  });

  it("selecting a guest tenant sends both tenants and keeps the filter", async () => {
    const calls = mockBackend();
    const { user } = renderWithProviders(<AccountsScreen />);

    await user.click(await screen.findByRole("checkbox", { name: "Fabrikam Trading" }));

    await waitFor(() => {
      expect(calls.find((c) => c.cmd === "set_account_scope")?.args).toMatchObject({
        accountId: "acc-1",
        selectedTenants: operatorAccount.tenants.map((t) => t.tenant.tenantId),
        subscriptionFilter: null,
      });
    });
  });

  it("says plainly when there is no keyring and what to install", async () => {
    mockBackend({
      listAccounts: () => ({
        accounts: [{ ...operatorAccount, remembered: false }],
        keyring: {
          available: false,
          error: appError("unavailable", { id: "keyring", failure: "unavailable", entry: null }, "installKeyring"),
        },
      }),
    });
    renderWithProviders(<AccountsScreen />);

    expect(await screen.findByText("Sign-ins will not be remembered")).toBeInTheDocument();
    expect(screen.getByText(/Install and start a keyring \(gnome-keyring/)).toBeInTheDocument();
    expect(screen.getByText("Until Safehold closes")).toBeInTheDocument();
  });

  it("adds a service principal and clears the secret from the form afterwards", async () => {
    const calls = mockBackend();
    const { user } = renderWithProviders(<AccountsScreen />);

    await user.click(await screen.findByRole("button", { name: "Add account" }));
    const dialog = await screen.findByRole("dialog");
    await user.click(within(dialog).getByRole("radio", { name: "Service principal (secret)" }));
    await user.type(within(dialog).getByRole("textbox", { name: "Tenant id" }), "tenant-1");
    await user.type(within(dialog).getByRole("textbox", { name: "Application (client) id" }), "client-1");
    await user.type(within(dialog).getByLabelText("Client secret", { exact: false }), "s3cret-value");
    await user.click(within(dialog).getByRole("button", { name: "Sign in" }));

    await waitFor(() => {
      expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    });
    const request = calls.find((c) => c.cmd === "sign_in")?.args as { request: Record<string, unknown> };
    expect(request.request).toEqual({
      method: "servicePrincipalSecret",
      cloud: { kind: "sandbox", armEndpoint: null, publicClientId: null, caCertificatePath: null },
      tenantId: "tenant-1",
      clientId: "client-1",
      secret: "s3cret-value",
    });
    // Opening the dialog again starts from an empty form.
    await user.click(await screen.findByRole("button", { name: "Add account" }));
    expect(await screen.findByRole("dialog")).toBeInTheDocument();
    expect(document.body.innerHTML).not.toContain("s3cret-value");
  });

  it("shows a failed sign-in's problem, advice and what Entra ID said in the dialog", async () => {
    mockBackend({
      signIn: () =>
        appError("auth", { id: "serviceSignInFailed", service: "entraId" }, "checkPrincipalDetails", {
          service: {
            service: "entraId",
            status: 401,
            code: "invalid_client",
            innerCodes: [],
            number: 7000215,
            message: "AADSTS7000215: Invalid client secret provided.",
          },
        }),
    });
    const { user } = renderWithProviders(<AccountsScreen />);

    await user.click(await screen.findByRole("button", { name: "Add account" }));
    const dialog = await screen.findByRole("dialog");
    await user.click(within(dialog).getByRole("button", { name: "Sign in" }));

    expect(await within(dialog).findByText("Signing in to Microsoft Entra ID failed.")).toBeInTheDocument();
    expect(within(dialog).getByText(/Check the tenant id, the application \(client\) id/)).toBeInTheDocument();
    expect(within(dialog).getByLabelText("What Microsoft Entra ID said")).toHaveTextContent(
      "invalid_client / 7000215): AADSTS7000215: Invalid client secret provided.",
    );
  });

  it("shows a custom cloud's endpoints before its first sign-in, and only for the address read", async () => {
    const calls = mockBackend();
    const { user } = renderWithProviders(<AccountsScreen />);

    await user.click(await screen.findByRole("button", { name: "Add account" }));
    const dialog = await screen.findByRole("dialog");
    await user.click(within(dialog).getByRole("radio", { name: "Service principal (secret)" }));
    await user.click(within(dialog).getByRole("radio", { name: "Custom cloud" }));
    await user.type(within(dialog).getByRole("textbox", { name: "Tenant id" }), "tenant-1");
    await user.type(within(dialog).getByRole("textbox", { name: "Application (client) id" }), "client-1");
    await user.type(within(dialog).getByLabelText("Client secret", { exact: false }), "s3cret-value");
    const address = within(dialog).getByRole("textbox", { name: /Resource Manager endpoint/ });
    await user.type(address, "https://management.region.contoso.com");
    const signIn = within(dialog).getByRole("button", { name: "Sign in" });
    expect(signIn).toBeDisabled();
    expect(within(dialog).getByText("Read the cloud's endpoints and check them before you sign in.")).toBeInTheDocument();

    await user.click(within(dialog).getByRole("button", { name: "Read the cloud's endpoints" }));
    const endpoints = await within(dialog).findByLabelText("The cloud's endpoints");
    expect(endpoints).toHaveTextContent("Sign-in endpointhttps://login.microsoftonline.com");
    expect(endpoints).toHaveTextContent(
      "Token audiencehttps://management.contoso.onmicrosoft.com/4c9f7f4e-5d8f-4f57-8a3a-9b2b1f0e6d21",
    );
    expect(endpoints).toHaveTextContent("Microsoft Graph endpointhttps://graph.microsoft.com");
    expect(calls.find((c) => c.cmd === "discover_cloud")?.args).toEqual({
      armEndpoint: "https://management.region.contoso.com",
      caCertificatePath: null,
    });
    expect(signIn).toBeEnabled();

    // Another CA file is another reading.
    await user.type(within(dialog).getByRole("textbox", { name: /Private CA certificate/ }), "/etc/ca.pem");
    expect(within(dialog).queryByLabelText("The cloud's endpoints")).not.toBeInTheDocument();
    expect(signIn).toBeDisabled();
    await user.click(within(dialog).getByRole("button", { name: "Read the cloud's endpoints" }));
    await within(dialog).findByLabelText("The cloud's endpoints");
    expect(calls.filter((c) => c.cmd === "discover_cloud").at(-1)?.args).toEqual({
      armEndpoint: "https://management.region.contoso.com",
      caCertificatePath: "/etc/ca.pem",
    });
    await user.click(signIn);
    await waitFor(() => {
      expect(calls.find((c) => c.cmd === "sign_in")?.args).toMatchObject({
        request: {
          cloud: {
            kind: "custom",
            armEndpoint: "https://management.region.contoso.com",
            caCertificatePath: "/etc/ca.pem",
          },
        },
      });
    });
  });

  it("says why a custom cloud's endpoints are refused and keeps Sign in off", async () => {
    const calls = mockBackend({
      discoverCloud: () =>
        appError(
          "invalidInput",
          { id: "cloudBorrowsAudience", audience: "https://management.azure.com/", owner: "Azure" },
          "useTheCloudsOwnAudience",
        ),
    });
    const { user } = renderWithProviders(<AccountsScreen />);

    await user.click(await screen.findByRole("button", { name: "Add account" }));
    const dialog = await screen.findByRole("dialog");
    await user.click(within(dialog).getByRole("radio", { name: "Custom cloud" }));
    await user.type(
      within(dialog).getByRole("textbox", { name: /Resource Manager endpoint/ }),
      "https://management.evil.example",
    );
    await user.click(within(dialog).getByRole("button", { name: "Read the cloud's endpoints" }));

    expect(
      await within(dialog).findByText(/names Azure's token audience \(https:\/\/management\.azure\.com\/\)/),
    ).toBeInTheDocument();
    expect(within(dialog).getByText(/a cloud may not borrow another cloud's token audience/)).toBeInTheDocument();
    expect(within(dialog).queryByLabelText("The cloud's endpoints")).not.toBeInTheDocument();
    expect(within(dialog).getByRole("button", { name: "Sign in" })).toBeDisabled();
    expect(calls.some((c) => c.cmd === "sign_in")).toBe(false);
  });

  it("signs out after confirming", async () => {
    const calls = mockBackend();
    const { user } = renderWithProviders(<AccountsScreen />);

    await user.click(await screen.findByRole("button", { name: "Sign out" }));
    const dialog = await screen.findByRole("dialog");
    await user.click(within(dialog).getByRole("button", { name: "Sign out" }));

    await waitFor(() => {
      expect(calls.some((c) => c.cmd === "sign_out")).toBe(true);
    });
  });

  it("drops the inventory read through the accounts signed in until now", async () => {
    mockBackend({ cachedInventory: () => null, scanInventory: () => new Promise(() => undefined) });
    const { user, queryClient } = renderWithProviders(<AccountsScreen />);
    queryClient.setQueryData(["inventory", "scan"], inventorySnapshot);
    queryClient.setQueryData(["inventory", "cached"], inventorySnapshot);

    await user.click(await screen.findByRole("button", { name: "Sign out" }));
    const dialog = await screen.findByRole("dialog");
    await user.click(within(dialog).getByRole("button", { name: "Sign out" }));

    await waitFor(() => {
      expect(queryClient.getQueryData(["inventory", "scan"])).toBeUndefined();
    });
    expect(queryClient.getQueryData(["inventory", "cached"])).toBeUndefined();
  });
});
