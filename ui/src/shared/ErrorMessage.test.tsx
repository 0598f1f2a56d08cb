import { screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { renderWithProviders } from "../test/render";
import { ErrorMessage } from "./ErrorMessage";

describe("ErrorMessage", () => {
  it("titles the message by error code, in the current language", () => {
    renderWithProviders(
      <ErrorMessage error={{ code: "throttled", message: "Too many requests.", suggestion: "", requestId: null }} />,
      { language: "ja" },
    );
    expect(screen.getByText("Azure が混み合っています")).toBeInTheDocument();
    expect(screen.getByText("Too many requests.")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "詳細" })).not.toBeInTheDocument();
  });

  it("calls onRetry", async () => {
    const onRetry = vi.fn();
    const { user } = renderWithProviders(
      <ErrorMessage
        error={{ code: "network", message: "Offline.", suggestion: "Reconnect.", requestId: "r-1" }}
        onRetry={onRetry}
      />,
    );
    await user.click(screen.getByRole("button", { name: "Retry" }));
    expect(onRetry).toHaveBeenCalledOnce();
  });
});
