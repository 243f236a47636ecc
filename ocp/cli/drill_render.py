"""Rendering a drill report on a terminal (rich tables)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table


def render(console: Console, report: dict) -> None:
    title = f"drill [bold]{report['drill']}[/] on {report['backend']}"
    table = Table("height", "transaction", "who", "result", title=title, title_justify="left")
    for e in report["timeline"]:
        ok = e["result"] == e["expected"] and e.get("expected_reason", e["reason"]) == e["reason"]
        if e["result"] == "accepted":
            result = "[green]accepted[/]" if ok else "[bold red]ACCEPTED (should be refused)[/]"
        elif e["expected"] == "accepted":
            result = f"[bold red]refused: {e['reason']} (SHOULD PASS)[/]"
        elif ok:
            result = f"[yellow]refused: {e['reason']}[/]"
        else:
            result = f"[bold red]refused for the wrong reason: {e['reason']} (expected {e['expected_reason']})[/]"
        table.add_row(str(e["height"]), e["transaction"], e["who"], result)
    console.print(table)
    for note in report["notes"]:
        console.print(f"  [dim]{note}[/]")
    bal = report["balances"]
    money = Table("party", "before (sat)", "after (sat)", "change")
    for party, before in bal["before"].items():
        after = bal["after"][party]
        money.add_row(party, f"{before:,}", f"{after:,}", f"{after - before:+,}")
    money.add_row("locked in protocol", "", f"{bal['locked_in_protocol']:,}", "")
    money.add_row("burned", "", f"{bal['burned']:,}", "")
    money.add_row("fees", "", f"{bal['fees']:,}", "")
    console.print(money)
    checks = report["checks"]
    marks = ", ".join(f"{k} {'[green]yes[/]' if v else '[red]NO[/]'}" for k, v in checks.items())
    verdict = "[bold green]PASSED[/]" if report["passed"] else "[bold red]FAILED[/]"
    console.print(f"{verdict}: {marks}\n")
