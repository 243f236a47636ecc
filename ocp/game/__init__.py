"""Graph version 2: disputing a zkVM program's run by games (docs/protocol-v2.md).

=============================  ==============================================
module                         what
=============================  ==============================================
:mod:`ocp.game.computation`    the program, its digest, the search geometry
:mod:`ocp.game.claimleaf`      the Kickoff's claim leaf; TranslateBeyondN
:mod:`ocp.game.layout`         a game's states, moves and data outputs
:mod:`ocp.game.keys`           every party's one-time keys
:mod:`ocp.game.bond`           what a game costs; the bond and the rewards
=============================  ==============================================

The transactions are built by :mod:`ocp.builder.games`.
"""
