import {
  Body1,
  Button,
  Dialog,
  DialogActions,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
  Field,
  Input,
  MessageBar,
  MessageBarBody,
  Radio,
  RadioGroup,
  Spinner,
  Text,
  makeStyles,
  tokens,
} from "@fluentui/react-components";
import { useMutation } from "@tanstack/react-query";
import { useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { Channel } from "@tauri-apps/api/core";
import {
  commands,
  type CloudKind,
  type DeviceCodeShown,
  type DiscoveredCloud,
  type SignInMethod,
  type SignInRequest,
} from "../../../bindings";
import { unwrap } from "../../../lib/ipc";
import { cancelOperation, newOperationId } from "../../../lib/operations";
import { ErrorMessage } from "../../../shared/ErrorMessage";
import { useRefreshAfterAccountChange } from "../queries";

const useStyles = makeStyles({
  form: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalM },
  columns: { display: "grid", gridTemplateColumns: "1fr 1fr", gap: tokens.spacingHorizontalXL },
  code: {
    fontFamily: tokens.fontFamilyMonospace,
    fontSize: tokens.fontSizeHero700,
    letterSpacing: "0.1em",
    userSelect: "all",
  },
  waiting: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalS, alignItems: "flex-start" },
  link: { fontFamily: tokens.fontFamilyMonospace, userSelect: "all", overflowWrap: "anywhere" },
  discover: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalS, alignItems: "flex-start" },
  endpoints: {
    display: "grid",
    gridTemplateColumns: "auto 1fr",
    columnGap: tokens.spacingHorizontalL,
    rowGap: tokens.spacingVerticalXS,
    margin: 0,
  },
  term: { color: tokens.colorNeutralForeground2 },
  value: { margin: 0, fontFamily: tokens.fontFamilyMonospace, userSelect: "text", overflowWrap: "anywhere" },
});

/** Which custom cloud a reading of endpoints belongs to: its address and the CA it trusted. */
function cloudKey(form: Pick<Form, "armEndpoint" | "caCertificatePath">): string {
  return JSON.stringify([form.armEndpoint.trim(), form.caCertificatePath.trim()]);
}

type Method = Exclude<SignInMethod, "sandbox">;
const METHODS: Method[] = ["browser", "deviceCode", "servicePrincipalSecret", "servicePrincipalCertificate", "azureCli"];
const CLOUDS: CloudKind[] = ["sandbox", "azurePublic", "azureUsGovernment", "azureChina", "custom"];

type Form = {
  method: Method;
  cloud: CloudKind;
  armEndpoint: string;
  caCertificatePath: string;
  publicClientId: string;
  tenant: string;
  tenantId: string;
  clientId: string;
  secret: string;
  certificatePath: string;
};

const EMPTY: Form = {
  method: "deviceCode",
  cloud: "sandbox",
  armEndpoint: "",
  caCertificatePath: "",
  publicClientId: "",
  tenant: "",
  tenantId: "",
  clientId: "",
  secret: "",
  certificatePath: "",
};

function request(form: Form): SignInRequest {
  const cloud = {
    kind: form.cloud,
    armEndpoint: form.cloud === "custom" ? form.armEndpoint.trim() : null,
    publicClientId: form.publicClientId.trim() || null,
    caCertificatePath: form.cloud === "custom" ? form.caCertificatePath.trim() || null : null,
  };
  const tenant = form.tenant.trim() || null;
  switch (form.method) {
    case "browser":
      return { method: "browser", cloud, tenant };
    case "deviceCode":
      return { method: "deviceCode", cloud, tenant };
    case "servicePrincipalSecret":
      return { method: "servicePrincipalSecret", cloud, tenantId: form.tenantId, clientId: form.clientId, secret: form.secret };
    case "servicePrincipalCertificate":
      return {
        method: "servicePrincipalCertificate",
        cloud,
        tenantId: form.tenantId,
        clientId: form.clientId,
        certificatePath: form.certificatePath,
      };
    case "azureCli":
      return { method: "azureCli", cloud, tenant };
  }
}

/** Adds an account with any sign-in method, on any cloud. */
export function AddAccountDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const styles = useStyles();
  const refresh = useRefreshAfterAccountChange();
  const [form, setForm] = useState<Form>(EMPTY);
  const [prompt, setPrompt] = useState<DeviceCodeShown | null>(null);
  const set = (patch: Partial<Form>) => { setForm((f) => ({ ...f, ...patch })); };

  /** The sign-in waiting now, so closing the dialog cancels that one. */
  const running = useRef<string | null>(null);

  /** The endpoints last read, and for which address and CA. */
  const [discovered, setDiscovered] = useState<{ key: string; cloud: DiscoveredCloud } | null>(null);
  const discover = useMutation({
    mutationFn: async (target: Pick<Form, "armEndpoint" | "caCertificatePath">) =>
      unwrap(commands.discoverCloud(target.armEndpoint.trim(), target.caCertificatePath.trim() || null)),
    onSuccess: (cloud, target) => { setDiscovered({ key: cloudKey(target), cloud }); },
  });
  // Endpoints read for another address or CA say nothing about this one.
  const endpoints = discovered?.key === cloudKey(form) ? discovered.cloud : null;
  const setCloudTarget = (patch: Partial<Pick<Form, "armEndpoint" | "caCertificatePath">>) => {
    set(patch);
    discover.reset();
  };

  const signIn = useMutation({
    mutationFn: async (req: SignInRequest) => {
      const id = newOperationId("sign-in");
      running.current = id;
      const onDeviceCode = new Channel<DeviceCodeShown>((shown) => { setPrompt(shown); });
      try {
        return await unwrap(commands.signIn(req, id, onDeviceCode));
      } finally {
        if (running.current === id) running.current = null;
      }
    },
    onSuccess: async () => {
      await refresh();
      close();
    },
    onSettled: () => { setPrompt(null); },
  });

  function close() {
    // A sign-in still waiting for the browser or a device code stops here too.
    if (running.current) void cancelOperation(running.current);
    // The secret leaves the form as soon as the dialog does.
    setForm(EMPTY);
    setPrompt(null);
    setDiscovered(null);
    discover.reset();
    signIn.reset();
    onClose();
  }

  const principal = form.method === "servicePrincipalSecret" || form.method === "servicePrincipalCertificate";
  const person = form.method === "browser" || form.method === "deviceCode";
  const complete =
    // A custom cloud's endpoints are shown before anyone signs in to it.
    (form.cloud !== "custom" || (form.armEndpoint.trim() !== "" && endpoints !== null)) &&
    (!principal || (form.tenantId.trim() !== "" && form.clientId.trim() !== "")) &&
    (form.method !== "servicePrincipalSecret" || form.secret !== "") &&
    (form.method !== "servicePrincipalCertificate" || form.certificatePath.trim() !== "");

  return (
    <Dialog open={open} onOpenChange={(_, data) => {
        if (!data.open) close();
      }}>
      <DialogSurface aria-label={t("accounts.addTitle")}>
        <DialogBody>
          <DialogTitle>{t("accounts.addTitle")}</DialogTitle>
          <DialogContent>
            {signIn.isPending ? (
              <div className={styles.waiting} aria-live="polite">
                <Spinner size="small" label={t(form.method === "browser" ? "accounts.waitingBrowser" : "accounts.waiting")} />
                {prompt ? (
                  <>
                    <Body1>{t("accounts.deviceCodeHint")}</Body1>
                    <Text className={styles.link} aria-label={t("accounts.verificationUri")}>
                      {prompt.verificationUri}
                    </Text>
                    <Text className={styles.code} aria-label={t("accounts.userCode")}>
                      {prompt.userCode}
                    </Text>
                  </>
                ) : null}
              </div>
            ) : (
              <form
                id="add-account"
                className={styles.form}
                onSubmit={(e) => {
                  e.preventDefault();
                  if (complete) signIn.mutate(request(form));
                }}
              >
                <div className={styles.columns}>
                  <Field label={t("accounts.method")}>
                    <RadioGroup
                      value={form.method}
                      onChange={(_, data) => {
                        const method = data.value as Method;
                        // The CLI cannot be signed in to the sandbox inside Safehold.
                        set(method === "azureCli" && form.cloud === "sandbox" ? { method, cloud: "azurePublic" } : { method });
                      }}
                    >
                      {METHODS.map((method) => (
                        <Radio key={method} value={method} label={t(`accounts.methods.${method}`)} />
                      ))}
                    </RadioGroup>
                  </Field>
                  <Field label={t("accounts.cloud")}>
                    <RadioGroup
                      value={form.cloud}
                      onChange={(_, data) => {
                        set({ cloud: data.value as CloudKind });
                      }}
                    >
                      {CLOUDS.filter((cloud) => form.method !== "azureCli" || cloud !== "sandbox").map((cloud) => (
                        <Radio key={cloud} value={cloud} label={t(`accounts.clouds.${cloud}`)} />
                      ))}
                    </RadioGroup>
                  </Field>
                </div>
                {form.method === "azureCli" ? (
                  <MessageBar intent="info">
                    <MessageBarBody>{t("accounts.azureCliHint")}</MessageBarBody>
                  </MessageBar>
                ) : null}
                {form.cloud === "custom" ? (
                  <Field label={t("accounts.armEndpoint")} hint={t("accounts.armEndpointHint")} required>
                    <Input
                      value={form.armEndpoint}
                      placeholder="https://management.local.azurestack.external"
                      onChange={(_, data) => { setCloudTarget({ armEndpoint: data.value }); }}
                    />
                  </Field>
                ) : null}
                {form.cloud === "custom" ? (
                  <Field label={t("accounts.caCertificatePath")} hint={t("accounts.caCertificateHint")}>
                    <Input
                      value={form.caCertificatePath}
                      onChange={(_, data) => {
                        setCloudTarget({ caCertificatePath: data.value });
                      }}
                    />
                  </Field>
                ) : null}
                {form.cloud === "custom" ? (
                  <div className={styles.discover}>
                    <Button
                      disabled={form.armEndpoint.trim() === "" || discover.isPending}
                      onClick={() => { discover.mutate({ armEndpoint: form.armEndpoint, caCertificatePath: form.caCertificatePath }); }}
                    >
                      {t("accounts.readEndpoints")}
                    </Button>
                    {discover.isPending ? <Spinner size="tiny" label={t("accounts.readingEndpoints")} /> : null}
                    {discover.isError ? <ErrorMessage error={discover.error} /> : null}
                    {endpoints ? (
                      <>
                        <Body1>{t("accounts.discoveredHint")}</Body1>
                        <dl className={styles.endpoints} aria-label={t("accounts.discoveredEndpoints")}>
                          <dt className={styles.term}>{t("accounts.loginEndpoint")}</dt>
                          <dd className={styles.value}>{endpoints.loginEndpoint}</dd>
                          <dt className={styles.term}>{t("accounts.armAudience")}</dt>
                          <dd className={styles.value}>{endpoints.armAudience}</dd>
                          <dt className={styles.term}>{t("accounts.graphEndpoint")}</dt>
                          <dd className={styles.value}>{endpoints.graphEndpoint}</dd>
                        </dl>
                      </>
                    ) : discover.isPending || discover.isError ? null : (
                      <Text>{t("accounts.readEndpointsFirst")}</Text>
                    )}
                  </div>
                ) : null}
                {person || form.method === "azureCli" ? (
                  <Field label={t("accounts.tenant")} hint={t("accounts.tenantHint")}>
                    <Input value={form.tenant} onChange={(_, data) => { set({ tenant: data.value }); }} />
                  </Field>
                ) : null}
                {person ? (
                  <Field label={t("accounts.publicClientId")} hint={t("accounts.publicClientIdHint")}>
                    <Input value={form.publicClientId} onChange={(_, data) => { set({ publicClientId: data.value }); }} />
                  </Field>
                ) : null}
                {principal ? (
                  <>
                    <Field label={t("accounts.tenantId")} required>
                      <Input value={form.tenantId} onChange={(_, data) => { set({ tenantId: data.value }); }} />
                    </Field>
                    <Field label={t("accounts.clientId")} required>
                      <Input value={form.clientId} onChange={(_, data) => { set({ clientId: data.value }); }} />
                    </Field>
                  </>
                ) : null}
                {form.method === "servicePrincipalSecret" ? (
                  <Field label={t("accounts.secret")} hint={t("accounts.secretHint")} required>
                    <Input
                      type="password"
                      autoComplete="off"
                      value={form.secret}
                      onChange={(_, data) => { set({ secret: data.value }); }}
                    />
                  </Field>
                ) : null}
                {form.method === "servicePrincipalCertificate" ? (
                  <Field label={t("accounts.certificatePath")} hint={t("accounts.certificateHint")} required>
                    <Input value={form.certificatePath} onChange={(_, data) => { set({ certificatePath: data.value }); }} />
                  </Field>
                ) : null}
              </form>
            )}
            {signIn.isError ? <ErrorMessage error={signIn.error} /> : null}
          </DialogContent>
          <DialogActions>
            <Button onClick={close}>{t("accounts.cancel")}</Button>
            <Button appearance="primary" type="submit" form="add-account" disabled={!complete || signIn.isPending}>
              {t("accounts.signIn")}
            </Button>
          </DialogActions>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}
