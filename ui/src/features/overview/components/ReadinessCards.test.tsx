import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { mockBackend, renderWithProviders } from "../../../test/render";
import { ReadinessCards } from "./ReadinessCards";

describe("Overview readiness", () => {
  it("counts the encrypted VMs by verdict and by kind", async () => {
    mockBackend();
    renderWithProviders(<ReadinessCards />);

    const readiness = await screen.findByRole("group", { name: "Readiness of 2 encrypted VMs" });
    // Ready, Action needed, Not supported, Unknown (the bars are hidden from assistive tech).
    const counts = within(readiness).getAllByRole("definition").map((d) => d.textContent);
    expect(counts).toEqual(["1", "1", "0", "0"]);
    const kinds = screen.getByRole("group", { name: "Encrypted VMs by kind" });
    expect(within(kinds).getByText("BEK + KEK").nextSibling).toHaveTextContent("2");
    expect(within(kinds).getByText("Not protected").nextSibling).toHaveTextContent("1");
  });
});
