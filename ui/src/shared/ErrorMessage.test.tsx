import { screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { appError, renderWithProviders } from "../test/render";
import { ErrorMessage } from "./ErrorMessage";

describe("ErrorMessage", () => {
  it("titles the message by error code, in the current language", () => {
    renderWithProviders(
      <ErrorMessage
        error={appError("throttled", { id: "serviceRefused", service: "resourceManager" }, "waitAndRetry", {
          service: {
            service: "resourceManager",
            status: 429,
            code: "TooManyRequests",
            innerCodes: [],
            number: null,
            message: "Rate limit exceeded.",
          },
        })}
      />,
      { language: "ja" },
    );
    expect(screen.getByText("Azure が混み合っています")).toBeInTheDocument();
    // The app's own words, in Japanese; the service's words as they came, labelled as its own.
    expect(screen.getByText("Azure Resource Manager が要求を拒否しました。")).toBeInTheDocument();
    expect(screen.getByText(/Azure が要求の頻度を制限しています/)).toBeInTheDocument();
    expect(screen.getByLabelText("Azure Resource Manager からの応答")).toHaveTextContent(
      "Azure Resource Manager からの応答 (コード: TooManyRequests): Rate limit exceeded.",
    );
    expect(screen.queryByRole("button", { name: "詳細" })).not.toBeInTheDocument();
  });

  it("calls onRetry", async () => {
    const onRetry = vi.fn();
    const { user } = renderWithProviders(
      <ErrorMessage
        error={appError("network", { id: "serviceUnreachable", service: "graph" }, "checkNetwork", { requestId: "r-1" })}
        onRetry={onRetry}
      />,
    );
    await user.click(screen.getByRole("button", { name: "Retry" }));
    expect(onRetry).toHaveBeenCalledOnce();
  });
});
