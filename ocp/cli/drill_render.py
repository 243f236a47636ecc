"""Rendering a drill report on a terminal (rich tables whose cells fold: reject
reasons and amounts are never cut)."""

from __future__ import annotations

from rich.console import Console

from ocp.cli.output import markup, table
from ocp.drill.report import ROLES


def render(console: Console, report: dict) -> None:
    title = f"drill [bold]{report['drill']}[/] on {report['backend']}"
    timeline = table("height", "transaction", "who", "result", title=title, title_justify="left")
    for e in report["timeline"]:
        ok = e["result"] == e["expected"]
        if e["result"] == "accepted":
            result = "[green]accepted[/]" if ok else "[bold red]ACCEPTED (should be refused)[/]"
        else:
            colour = "yellow" if ok else "bold red"
            result = f"[{colour}]refused: {markup(e['reason'])}[/]" + ("" if ok else " (SHOULD PASS)")
        timeline.add_row(str(e["height"]), markup(e["transaction"]), e["who"], result)
    console.print(timeline)
    for note in report["notes"]:
        console.print(f"  [dim]{markup(note)}[/]")
    bal = report["balances"]
    money = table("role", "before (sat)", "after (sat)", "change")
    for role in ROLES:
        before, after = bal["before"][role.value], bal["after"][role.value]
        money.add_row(role, f"{before:,}", f"{after:,}", f"{after - before:+,}")
    money.add_row("locked in protocol", "", f"{bal['locked_in_protocol']:,}", "")
    money.add_row("burned", "", f"{bal['burned']:,}", "")
    money.add_row("fees", "", f"{bal['fees']:,}", "")
    console.print(money)
    checks = report["checks"]
    marks = ", ".join(f"{k} {'[green]yes[/]' if v else '[red]NO[/]'}" for k, v in checks.items())
    verdict = "[bold green]PASSED[/]" if report["passed"] else "[bold red]FAILED[/]"
    console.print(f"{verdict}: {marks}\n")
