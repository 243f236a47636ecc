"""Rendering a drill report on a terminal (rich tables whose cells fold: reject
reasons and amounts are never cut)."""

from __future__ import annotations

from rich.console import Console

from ocp.cli.output import markup, table


def render(console: Console, report: dict) -> None:
    if "parts" in report:
        render_ceremony(console, report)
        return
    title = f"drill [bold]{report['drill']}[/] on {report['backend']}"
    timeline = table("height", "transaction", "who", "result", title=title, title_justify="left")
    for e in report["timeline"]:
        ok = e["result"] == e["expected"] and e.get("expected_reason", e["reason"]) == e["reason"]
        if e["result"] == "accepted":
            result = "[green]accepted[/]" if ok else "[bold red]ACCEPTED (should be refused)[/]"
        elif e["expected"] == "accepted":
            result = f"[bold red]refused: {markup(e['reason'])} (SHOULD PASS)[/]"
        elif ok:
            result = f"[yellow]refused: {markup(e['reason'])}[/]"
        else:
            wanted = markup(e["expected_reason"])
            result = f"[bold red]refused for the wrong reason: {markup(e['reason'])} (expected {wanted})[/]"
        timeline.add_row(str(e["height"]), markup(e["transaction"]), e["who"], result)
    console.print(timeline)
    for note in report["notes"]:
        console.print(f"  [dim]{markup(note)}[/]")
    bal = report["balances"]
    money = table("party", "before (sat)", "after (sat)", "change")
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


def render_ceremony(console: Console, report: dict) -> None:
    """A ceremony drill: its processes, rounds and blame, then each drill on its graph."""
    c = report["ceremony"]
    console.print(
        f"drill [bold]{report['drill']}[/]: {report['committee']} members "
        f"({report['committee_form']}), {len(c['processes'])} processes, {c['seconds']} s",
        highlight=False,
    )
    for event in c["events"]:
        console.print(f"  [dim]{markup(event)}[/]")
    for r in c["rounds"]:
        what = f"signed {r['signed']} inputs" if r["event"] == "finished" else f"abandoned: {r.get('why', '')}"
        console.print(f"  round {r['round']}: {markup(what)}", highlight=False)
    for b in c["blame"]:
        console.print(
            f"  [red]blame:[/] {markup(b['who'])}: {markup(b['what'])} ({', '.join(b['inputs'][:3])})", highlight=False
        )
    console.print(
        f"  public nonces: {c['nonces_sent']} sent, {c['nonces_stored']} in the members' stores, "
        f"{'all distinct' if c['nonces_unique'] else '[red]REPEATED[/]'}"
    )
    for part in report["parts"]:
        render(console, part)
    checks = report["checks"]
    marks = ", ".join(f"{k} {'[green]yes[/]' if v else '[red]NO[/]'}" for k, v in checks.items())
    verdict = "[bold green]PASSED[/]" if report["passed"] else "[bold red]FAILED[/]"
    console.print(f"{verdict}: {marks}\n")
