"""The signing ceremony of the graph, and of a MuSig2 committee in particular (issue 17).

* ``nonces``      -- a member's crash-safe record of the public nonces it handed out
* ``messages``    -- the ceremony's typed messages, signed by their senders
* ``session``     -- the MuSig2 rounds as plain functions (both sides), blame, and
  the in-process path (every member in one process: drills, tests)
* ``coordinator`` -- the coordinator's state: rounds, owed signatures, journal, time-outs
* ``server``      -- the coordinator as an HTTP/JSON service (FastAPI on uvicorn)
* ``client``      -- a signer: its checks before signing, and its loop

What each party runs, checks and may retry: docs/ceremony.md.
"""
