// Words an AppError in the current language: the problem with its parameters, the advice, and
// what the service itself said (its code and its own message, shown as its words).
import type { TFunction } from "i18next";
import type { AppError, Problem } from "../bindings";

export type DescribedError = {
  title: string;
  problem: string;
  advice: string;
  /** The service's own words, labelled as such, when one refused. */
  service: { label: string; code: string | null; message: string | null } | null;
};

/** The problem's parameters, with enum values worded too. */
function parameters(t: TFunction, problem: Problem): Record<string, unknown> {
  const params: Record<string, unknown> = { ...problem };
  delete params.id;
  if ("service" in problem) params.service = t(`errors.services.${problem.service}`);
  if (problem.id === "metadataUnusable") {
    params.defect = t(`errors.metadataDefects.${problem.defect}`, { field: problem.field ?? "" });
  }
  if (problem.id === "certificateUnusable") params.defect = t(`errors.certificateDefects.${problem.defect}`);
  if (problem.id === "keyring") params.failure = t(`errors.keyringFailures.${problem.failure}`);
  return params;
}

export function describeError(t: TFunction, error: AppError): DescribedError {
  const said = error.service;
  const code = said ? [said.code, ...said.innerCodes].filter(Boolean).join(" › ") || null : null;
  const number = said?.number != null ? String(said.number) : null;
  return {
    title: t(`errors.titles.${error.code}`),
    problem: t(`errors.problems.${error.problem.id}`, parameters(t, error.problem)),
    advice: t(`errors.advice.${error.advice}`),
    service:
      said && (said.code || said.message || said.number != null)
        ? {
            label: t("errors.serviceSaid", { service: t(`errors.services.${said.service}`) }),
            code: [code, number].filter(Boolean).join(" / ") || null,
            message: said.message,
          }
        : null,
  };
}
