"""Operator and challenger as services that watch the chain, react, and survive
restarts (issue 20; graph version 1.1, built so that graph v2 only adds states
and moves).

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
:mod:`ocp.watch.service`               the loop: follow, fold, log, broadcast,
                                       bump fees by CPFP
:mod:`ocp.watch.harness`               drills with the parties as processes
=====================================  ==========================================

docs/watch.md describes the services, their state directory, restart and reorg
behaviour, and what they trust.
"""
