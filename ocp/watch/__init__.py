"""Operator and challenger as services that watch the chain, react, and survive
restarts (issue 20): graph version 1.1's Assert/Disprove game and graph v2's
claims about a Go program and the games registered challengers open against them.

=====================================  ==========================================
module                                 what
=====================================  ==========================================
:mod:`ocp.watch.events`                chain events: blocks in and out, graph
                                       transactions confirmed in them
:mod:`ocp.watch.index`                 recognising graph transactions (templates
                                       by the output and leaf they spend)
:mod:`ocp.watch.follower`              polling a ``Chain``, reorganisations
:mod:`ocp.watch.machine`               state machines as data, folded over events
:mod:`ocp.watch.game`                  one operator's claim on chain; duties
:mod:`ocp.watch.operator`              the operator's phases, transitions, duties
:mod:`ocp.watch.challenger`            the challenger's phases, transitions,
                                       verdict on a claim, duties
:mod:`ocp.watch.journal`               the state directory and its journal
:mod:`ocp.watch.base`                  the loop: follow, fold, log, journaled
                                       broadcasts, bump fees by CPFP
:mod:`ocp.watch.service`               graph 1.1's service on that loop
:mod:`ocp.watch.games`                 graph v2: the claim machine, each game's
                                       machine from its layout, duties
:mod:`ocp.watch.gameplay`              graph v2: players kept in step with the
                                       chain, the challenger's strategy replayed
:mod:`ocp.watch.gameservice`           graph v2's service: claim from an input,
                                       every game answered, one-time signatures
                                       journaled before each move
:mod:`ocp.watch.harness`               drills with the parties as processes
:mod:`ocp.watch.gameharness`           graph v2 drills: ``ocp watch`` processes
                                       on graph files the CLI makes
=====================================  ==========================================

docs/watch.md describes the services, their state directory, restart and reorg
behaviour, and what they trust.
"""
