"""axe-core in the browser tests: the vendored axe.min.js (axe-core 4.14.1,
MPL-2.0, licence in axe-core.LICENSE) run against the page as it stands.

It is evaluated through the DevTools protocol, not added as a <script>, so the
pages keep their Content Security Policy while they are checked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

AXE_SOURCE = (Path(__file__).with_name("axe.min.js")).read_text(encoding="utf-8")
# WCAG 2.2 AA as axe tags it: the A and AA rules of 2.0, 2.1 and 2.2.
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING = {"serious", "critical"}

RUN = """(tags) => axe.run(document, {
        runOnly: {type: "tag", values: tags}, resultTypes: ["violations"], iframes: false,
    })
    .then((results) => results.violations.map((v) => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map((n) => ({target: n.target.join(" "), summary: n.failureSummary || ""})),
    })))"""


def htmx_settled(page: Any) -> None:
    """Wait until htmx has no request or swap in flight (badges, polled panels)."""
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-settling, .htmx-swapping, .htmx-added')"
    )


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """The serious and critical WCAG 2.2 AA violations on the page now."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SOURCE)
    found = page.evaluate(RUN, WCAG_22_AA)
    return [violation for violation in found if violation["impact"] in BLOCKING]


def describe(url: str, violations: list[dict[str, Any]]) -> str:
    lines = [url]
    for violation in violations:
        lines.append(f"  {violation['impact']} {violation['id']}: {violation['help']}")
        for node in violation["nodes"][:4]:
            summary = " ".join(node["summary"].split())[:220]
            lines.append(f"    {node['target']} — {summary}")
    return "\n".join(lines)
